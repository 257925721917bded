package org.vim4j.io.pickle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.vim4j.VimException;
import org.vim4j.io.MappedFiles;
import org.vim4j.io.StrictUtf8;

/**
 * The cursor over a pickle's bytes: fixed-width fields, length-prefixed strings and the text
 * arguments of protocol 0, each checked against the bytes that remain before anything is read or
 * allocated. It also makes the error messages, which name the file, the pickle entry and the
 * offset of the opcode being decoded.
 */
final class PickleInput {
    /** Bytes in one integer (LONG1/LONG4) or digits in a text integer: keeps BigInteger work small. */
    static final int MAX_INT_BYTES = 1024;
    /** Longest text line (protocol 0 arguments, GLOBAL names). */
    static final int MAX_LINE = 4096;

    private final String file;
    private final String entry;
    private final MemorySegment in;
    private final long limit;
    private long pos;
    private long opStart;

    PickleInput(String file, String entry, MemorySegment pickle) {
        this.file = file;
        this.entry = entry;
        this.in = pickle;
        this.limit = pickle.byteSize();
    }

    String file() {
        return file;
    }

    /** Marks the start of the next opcode (for error messages). */
    void startOp() {
        opStart = pos;
    }

    long remaining() {
        return limit - pos;
    }

    int u16() {
        return MappedFiles.u16(in, need(2));
    }

    int i32() {
        return in.get(MappedFiles.I32, need(4));
    }

    long u32() {
        return MappedFiles.u32(in, need(4));
    }

    long i64() {
        return in.get(MappedFiles.I64, need(8));
    }

    /** BINFLOAT is the one big-endian field in pickle. */
    double f64be() {
        return in.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), need(8));
    }

    int u8() {
        return Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, need(1)));
    }

    /** Reserves {@code n} bytes at the cursor, returning their offset; fails cleanly if the pickle ends first. */
    long need(long n) {
        if (n < 0 || n > limit - pos) {
            throw corrupt("pickle ends after " + limit + " bytes, but the opcode needs " + Long.toUnsignedString(n)
                    + " more byte(s) (truncated or corrupt)");
        }
        long at = pos;
        pos += n;
        return at;
    }

    byte[] bytes(long n) {
        if (n < 0 || n > limit - pos) {
            throw corrupt("declares " + Long.toUnsignedString(n) + " bytes, but only " + (limit - pos)
                    + " remain (truncated or corrupt)");
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw corrupt("a " + n + "-byte string is too large");
        }
        return in.asSlice(need(n), n).toArray(ValueLayout.JAVA_BYTE);
    }

    String utf8(long n) {
        byte[] b = bytes(n);
        try {
            return StrictUtf8.decode(b, "string");
        } catch (VimException e) {
            throw corrupt(e.getMessage());
        }
    }

    String latin1(long n) {
        return new String(bytes(n), StandardCharsets.ISO_8859_1);
    }

    /** One newline-terminated line (protocol 0 arguments), without the newline; ASCII/Latin-1. */
    String line() {
        long start = pos;
        long max = Math.min(limit, start + MAX_LINE + 1);
        for (long p = start; p < max; p++) {
            if (in.get(ValueLayout.JAVA_BYTE, p) == '\n') {
                byte[] b = in.asSlice(start, p - start).toArray(ValueLayout.JAVA_BYTE);
                pos = p + 1;
                return new String(b, StandardCharsets.ISO_8859_1);
            }
        }
        throw corrupt(max == limit ? "pickle ends inside a text argument (truncated)" : "text argument longer than " + MAX_LINE + " bytes");
    }

    String asciiLine() {
        String s = line();
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                throw corrupt("persistent id is not ASCII");
            }
        }
        return s;
    }

    Object littleEndianInt(int n) {
        if (n < 0) {
            throw corrupt("negative integer length " + n);
        }
        if (n > MAX_INT_BYTES) {
            throw corrupt("integer of " + n + " bytes is larger than vim4j accepts (" + MAX_INT_BYTES + ")");
        }
        if (n == 0) {
            return 0L;
        }
        byte[] le = bytes(n);
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) {
            be[i] = le[n - 1 - i];
        }
        return normalize(new BigInteger(be));
    }

    private static Object normalize(BigInteger v) {
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    /** INT ("I42", "I01" = True, "I00" = False) and LONG ("L42L") text integers. */
    Object textInt(String s, boolean intOpcode) {
        if (intOpcode && s.equals("01")) {
            return Boolean.TRUE;
        }
        if (intOpcode && s.equals("00")) {
            return Boolean.FALSE;
        }
        String digits = !intOpcode && s.endsWith("L") ? s.substring(0, s.length() - 1) : s;
        if (digits.length() > MAX_INT_BYTES || !digits.matches("[+-]?[0-9]+")) {
            throw corrupt("invalid integer literal '" + abbreviate(s) + "'");
        }
        return normalize(new BigInteger(digits));
    }

    double textFloat(String s) {
        String t = s.strip();
        switch (t) {
            case "inf", "+inf" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-inf" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "nan", "-nan", "+nan" -> {
                return Double.NaN;
            }
            default -> {
                // Python's repr grammar; rejects Java-only forms such as "Infinity", "0x1p3" or "1f".
                if (!t.matches("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
                    throw corrupt("invalid float literal '" + abbreviate(s) + "'");
                }
                return Double.parseDouble(t);
            }
        }
    }

    long textIndex(String s) {
        if (!s.matches("[0-9]{1,18}")) {
            throw corrupt("invalid memo index '" + abbreviate(s) + "'");
        }
        return Long.parseLong(s);
    }

    /** UNICODE: raw-unicode-escape, i.e. Latin-1 bytes plus \\uXXXX and \\UXXXXXXXX escapes. */
    String rawUnicodeEscape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == 'u' || s.charAt(i + 1) == 'U')) {
                int digits = s.charAt(i + 1) == 'u' ? 4 : 8;
                if (i + 2 + digits > s.length()) {
                    throw corrupt("truncated \\u escape in a UNICODE string");
                }
                int cp;
                try {
                    cp = Integer.parseUnsignedInt(s.substring(i + 2, i + 2 + digits), 16);
                } catch (NumberFormatException e) {
                    throw corrupt("invalid \\u escape in a UNICODE string");
                }
                if (!Character.isValidCodePoint(cp)) {
                    throw corrupt("invalid code point in a UNICODE string");
                }
                b.appendCodePoint(cp);
                i += 1 + digits;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** STRING: a Python 2 str literal in quotes, with the escapes repr() writes. */
    String quotedString(String s) {
        if (s.length() < 2 || s.charAt(0) != s.charAt(s.length() - 1) || (s.charAt(0) != '\'' && s.charAt(0) != '"')) {
            throw corrupt("STRING argument is not quoted");
        }
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (++i >= s.length() - 1) {
                throw corrupt("dangling backslash in a STRING");
            }
            char e = s.charAt(i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case '\\', '\'', '"' -> b.append(e);
                case 'x' -> {
                    if (i + 2 >= s.length()) {
                        throw corrupt("truncated \\x escape in a STRING");
                    }
                    try {
                        b.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    } catch (NumberFormatException ex) {
                        throw corrupt("invalid \\x escape in a STRING");
                    }
                    i += 2;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = 0;
                        int n = 0;
                        while (n < 3 && i < s.length() - 1 && s.charAt(i) >= '0' && s.charAt(i) <= '7') {
                            v = v * 8 + (s.charAt(i++) - '0');
                            n++;
                        }
                        i--;
                        b.append((char) (v & 0xff));
                    } else {
                        b.append('\\').append(e);
                    }
                }
            }
        }
        return b.toString();
    }

    /** A budget refusal at the current opcode: "file: entry: refusing the pickle at byte N: it what". */
    VimException refuse(String what) {
        return new VimException(file + ": " + entry + ": refusing the pickle at byte " + opStart + ": it " + what);
    }

    /** An error at the current opcode: "file: entry: corrupt or unsupported pickle at byte N: what". */
    VimException corrupt(String what) {
        return new VimException(file + ": " + entry + ": corrupt or unsupported pickle at byte " + opStart + ": " + what);
    }

    private static String abbreviate(String s) {
        return PickleValues.abbreviate(s);
    }
}
