package org.vim4j.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import org.vim4j.VimException;

/**
 * Strict UTF-8 decoding of text read from untrusted files (pickle strings, zip entry names, safetensors headers).
 * Only well-formed UTF-8 is accepted: malformed and truncated sequences, overlong encodings, encoded surrogates
 * and code points above U+10FFFF are refused, never replaced with U+FFFD, so two different byte strings can
 * never decode to the same name.
 */
public final class StrictUtf8 {
    private StrictUtf8() {
    }

    /**
     * Decodes {@code bytes}.
     *
     * @param what what the bytes are, for the message (e.g. {@code "header"}); the refusal reads
     *        "{@code <what> is not valid UTF-8 (<problem> at byte <offset>)}"
     * @throws VimException if the bytes are not well-formed UTF-8
     */
    public static String decode(byte[] bytes, String what) {
        StringBuilder problem = new StringBuilder();
        String text = decode(bytes, problem);
        if (text == null) {
            throw new VimException(what + " is not valid UTF-8 (" + problem + ")");
        }
        return text;
    }

    /** Decodes {@code bytes}, or returns null if they are not well-formed UTF-8. */
    public static String decodeOrNull(byte[] bytes) {
        return decode(bytes, new StringBuilder());
    }

    private static String decode(byte[] bytes, StringBuilder problem) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        // UTF-8 never decodes to more UTF-16 units than it has bytes.
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            describe(bytes, in.position(), r.length(), problem);
            return null;
        }
        return out.flip().toString();
    }

    /** "truncated sequence e2 82 at byte 7" or "malformed sequence c0 80 at byte 3". */
    private static void describe(byte[] bytes, int at, int length, StringBuilder problem) {
        int lead = bytes[at] & 0xff;
        int expected = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 1;
        boolean truncated = expected > 1 && at + length == bytes.length && bytes.length - at < expected;
        problem.append(truncated ? "input ends inside a " + expected + "-byte sequence" : "malformed sequence");
        for (int i = at; i < Math.min(bytes.length, at + Math.max(length, 1)); i++) {
            problem.append(String.format(" %02x", bytes[i] & 0xff));
        }
        problem.append(" at byte ").append(at);
    }
}
