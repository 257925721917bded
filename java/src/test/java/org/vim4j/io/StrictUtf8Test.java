package org.vim4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.vim4j.VimException;

class StrictUtf8Test {
    private static byte[] bytes(int... b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = (byte) b[i];
        }
        return r;
    }

    private static String refusal(byte[] b) {
        assertNull(StrictUtf8.decodeOrNull(b));
        return assertThrows(VimException.class, () -> StrictUtf8.decode(b, "name")).getMessage();
    }

    @Test
    void decodesWellFormedText() {
        String s = "a\u00e9\u20ac\uD83D\uDE00 layers.0.mixer";
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        assertEquals(s, StrictUtf8.decode(b, "name"));
        assertEquals(s, StrictUtf8.decodeOrNull(b));
        assertEquals("", StrictUtf8.decode(new byte[0], "name"));
        // The highest code point and U+FFFD itself are valid text.
        assertEquals("\uDBFF\uDFFF\uFFFD", StrictUtf8.decode(bytes(0xf4, 0x8f, 0xbf, 0xbf, 0xef, 0xbf, 0xbd), "name"));
    }

    @Test
    void refusesMalformedSequences() {
        assertEquals("name is not valid UTF-8 (malformed sequence c3 at byte 1)", refusal(bytes('x', 0xc3, 0x28)));
        assertEquals("name is not valid UTF-8 (malformed sequence 80 at byte 0)", refusal(bytes(0x80))); // lone continuation
        assertEquals("name is not valid UTF-8 (malformed sequence ff at byte 2)", refusal(bytes('a', 'b', 0xff)));
        assertEquals("name is not valid UTF-8 (malformed sequence f5 at byte 0)", refusal(bytes(0xf5, 0x80, 0x80, 0x80)));
    }

    @Test
    void refusesOverlongEncodings() {
        // '/' as two bytes and NUL as three: the classic ways to smuggle a character past a byte-level check.
        assertEquals("name is not valid UTF-8 (malformed sequence c0 at byte 0)", refusal(bytes(0xc0, 0xaf)));
        assertEquals("name is not valid UTF-8 (malformed sequence e0 at byte 0)", refusal(bytes(0xe0, 0x80, 0x80)));
        refusal(bytes(0xf0, 0x8f, 0xbf, 0xbf)); // U+FFFF in four bytes
    }

    @Test
    void refusesEncodedSurrogatesAndCodePointsBeyondUnicode() {
        assertEquals("name is not valid UTF-8 (malformed sequence ed a0 80 at byte 0)", refusal(bytes(0xed, 0xa0, 0x80))); // lone U+D800
        refusal(bytes(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80)); // a CESU-8 surrogate pair
        refusal(bytes(0xf4, 0x90, 0x80, 0x80)); // U+110000
    }

    @Test
    void refusesTruncatedInput() {
        assertEquals("name is not valid UTF-8 (input ends inside a 3-byte sequence e2 82 at byte 1)",
                refusal(bytes('x', 0xe2, 0x82)));
        assertEquals("name is not valid UTF-8 (input ends inside a 2-byte sequence c3 at byte 0)", refusal(bytes(0xc3)));
        assertEquals("name is not valid UTF-8 (input ends inside a 4-byte sequence f0 9f 98 at byte 0)",
                refusal(bytes(0xf0, 0x9f, 0x98)));
    }
}
