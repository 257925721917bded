package org.vim4j.io.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vim4j.VimException;

class JsonTest {
    @Test
    void parsesAllValueKindsKeepingMemberOrder() {
        Object v = Json.parse(" {\"b\": [1, -2.5e1, \"x\\u00e9\\n\", true, false, null], \"a\": {}, \"big\": 123456789012345678901234} ",
                "t");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("b", "a", "big"), List.copyOf(m.keySet()));
        List<?> b = (List<?>) m.get("b");
        assertEquals(1L, b.get(0));
        assertEquals(-25.0, b.get(1));
        assertEquals("x\u00e9\n", b.get(2));
        assertEquals(Boolean.TRUE, b.get(3));
        assertEquals(Boolean.FALSE, b.get(4));
        assertNull(b.get(5));
        assertEquals(new BigInteger("123456789012345678901234"), m.get("big"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807", "t"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "\"abc", "\"a\\q\"", "\"tab\there\"",
            "{\"a\" 1}", "{a:1}", "tru", "[1] x", "NaN", "'x'", "{\"a\":1}{}", "\"\\u12\""})
    void rejectsMalformedJson(String text) {
        VimException e = assertThrows(VimException.class, () -> Json.parse(text, "src.json"));
        assertTrue(e.getMessage().startsWith("src.json: invalid JSON at offset"), e.getMessage());
    }

    @Test
    void rejectsDuplicateMemberNames() {
        VimException e = assertThrows(VimException.class, () -> Json.parse("{\"w\":1,\"w\":2}", "h"));
        assertTrue(e.getMessage().contains("duplicate member name \"w\""), e.getMessage());
    }

    @Test
    void boundsNestingAndNumberLength() {
        String deep = "[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2);
        assertTrue(assertThrows(VimException.class, () -> Json.parse(deep, "h")).getMessage().contains("nesting"));
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok, "h");
        String longNumber = "1".repeat(Json.MAX_NUMBER_CHARS + 1);
        assertTrue(assertThrows(VimException.class, () -> Json.parse(longNumber, "h")).getMessage().contains("number longer"));
    }

    @Test
    void valuesAreChargedToAMemoryBudget() {
        // {"k0":{},"k1":{},...}: 9 bytes of text, about 200 bytes of maps, keys and entries each.
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < 20_000; i++) {
            b.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":{}");
        }
        String text = b.append('}').toString();
        String msg = assertThrows(VimException.class, () -> Json.parse(text, "h", 1 << 20)).getMessage();
        assertTrue(msg.startsWith("h: invalid JSON at offset ") && msg.contains("the values would take more than 1,048,576 bytes"), msg);
        assertEquals(20_000, ((Map<?, ?>) Json.parse(text, "h")).size(), "the default budget admits it");
        // Long duplicate names are cut in the message.
        String dup = "{\"" + "a".repeat(100_000) + "\":1,\"" + "a".repeat(100_000) + "\":2}";
        msg = assertThrows(VimException.class, () -> Json.parse(dup, "h")).getMessage();
        assertTrue(msg.length() < 200 && msg.contains("duplicate member name"), msg);
    }

    @Test
    void quoteRoundTrips() {
        String s = "a\"b\\c\n\t\u0001\u00e9\u4e2d";
        assertEquals(s, Json.parse(Json.quote(s), "q"));
        assertEquals("\"\\u0001\"", Json.quote("\u0001"));
    }
}
