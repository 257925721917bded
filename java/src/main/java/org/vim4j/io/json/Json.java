package org.vim4j.io.json;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vim4j.VimException;

/**
 * A minimal, strict JSON (RFC 8259) parser and string quoter, enough for safetensors headers and
 * test expectations. vim4j takes no dependency for this.
 *
 * <p>Values map to: object → {@code LinkedHashMap<String,Object>} (file order kept, duplicate
 * names rejected), array → {@code ArrayList<Object>}, string → {@link String}, integer →
 * {@link Long} (or {@link BigInteger} beyond 64 bits), other numbers → {@link Double},
 * {@code true/false} → {@link Boolean}, {@code null} → Java {@code null}.
 *
 * <p>Input is untrusted: nesting depth and number length are bounded so that a hostile header
 * cannot exhaust the stack or spend quadratic time in {@link BigInteger} parsing, and the values built are
 * charged against a memory budget ({@link #BASE_MEMORY} plus {@link #MEMORY_PER_CHAR} per character of text), so
 * text that is cheap to write but dear to hold ({@code {"a":{},"b":{},...}}: 20 bytes of objects per byte) is
 * refused instead of filling the heap. A safetensors header of a real checkpoint needs about 9 bytes per byte.
 */
public final class Json {
    /** Deeper nesting than any real header or test file needs; bounds the recursion. */
    static final int MAX_DEPTH = 128;
    /** Longest number literal accepted (digits and sign), to keep number parsing linear. */
    static final int MAX_NUMBER_CHARS = 400;
    /** Bytes of values any text may build. */
    public static final long BASE_MEMORY = 64L << 20;
    /** Bytes of values per character of text. */
    public static final long MEMORY_PER_CHAR = 16;

    private final String text;
    private final String source;
    private final long maxMemory;
    private long memory;
    private int pos;

    private Json(String text, String source, long maxMemory) {
        this.text = text;
        this.source = source;
        this.maxMemory = maxMemory;
    }

    /**
     * Parses one JSON value; surrounding whitespace is allowed, anything else after it is not.
     *
     * @param source names the input in error messages (a file path, or "safetensors header of X")
     * @throws VimException on any syntax error, duplicate object member, or limit exceeded
     */
    public static Object parse(String text, String source) {
        return parse(text, source, BASE_MEMORY + MEMORY_PER_CHAR * text.length());
    }

    /** As {@link #parse(String, String)}, with the values built limited to about {@code maxMemory} bytes. */
    public static Object parse(String text, String source, long maxMemory) {
        Json p = new Json(text, source, maxMemory);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the JSON value");
        }
        return v;
    }

    /** {@code s} as a JSON string literal, quotes included. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character " + describe(c));
            }
        };
    }

    /** Charges {@code bytes} of values built (estimated object sizes) to the budget. */
    private void charge(long bytes) {
        memory += bytes;
        if (memory > maxMemory) {
            throw error(String.format(java.util.Locale.ROOT, "the values would take more than %,d bytes to hold (the "
                    + "budget for %,d characters of JSON)", maxMemory, text.length()));
        }
    }

    private Map<String, Object> object(int depth) {
        pos++; // '{'
        charge(64);
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a member name in double quotes");
            }
            int at = pos;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth + 1);
            if (map.containsKey(key)) {
                pos = at;
                throw error("duplicate member name " + quote(key.length() <= 60 ? key : key.substring(0, 57) + "..."));
            }
            charge(48);
            map.put(key, v);
            skipWhitespace();
            char c = next();
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> array(int depth) {
        pos++; // '['
        charge(40);
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            charge(8);
            list.add(value(depth + 1));
            skipWhitespace();
            char c = next();
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                charge(40 + 2L * b.length());
                return b.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("control character " + describe(c) + " inside a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"' -> b.append('"');
                case '\\' -> b.append('\\');
                case '/' -> b.append('/');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> b.append(hex4());
                default -> {
                    pos--;
                    throw error("invalid escape \\" + e);
                }
            }
        }
    }

    private char hex4() {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                throw error("invalid \\u escape");
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("invalid number");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("digit expected after '.'");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("digit expected in exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (pos - start > MAX_NUMBER_CHARS) {
            pos = start;
            throw error("number longer than " + MAX_NUMBER_CHARS + " characters");
        }
        String literal = text.substring(start, pos);
        charge(16 + literal.length() / 2);
        if (!integral) {
            return Double.parseDouble(literal);
        }
        BigInteger big = new BigInteger(literal);
        return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }

    private Object literal(String word, Object v) {
        if (!text.startsWith(word, pos)) {
            throw error("invalid literal");
        }
        pos += word.length();
        return v;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        return text.charAt(pos++);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String describe(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private VimException error(String what) {
        return new VimException(source + ": invalid JSON at offset " + pos + ": " + what);
    }
}
