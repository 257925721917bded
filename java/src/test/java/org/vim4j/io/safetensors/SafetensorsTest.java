package org.vim4j.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;
import org.vim4j.io.Fixtures;
import org.vim4j.io.StateDict;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

class SafetensorsTest {
    @TempDir
    Path tmp;

    /** A safetensors file from a raw header string and data bytes (header NOT padded, so lies stay exact). */
    private Path file(String name, String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Fixtures.write(tmp, name, b.array());
    }

    private static String error(Path p) {
        return assertThrows(VimException.class, () -> SafetensorsReader.read(p).close()).getMessage();
    }

    @Test
    void writeThenReadRoundTripsTensorsAndMetadata() throws IOException {
        Path p = tmp.resolve("w.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            SequencedMap<String, Tensor> in = new LinkedHashMap<>();
            in.put("layers.0.mixer.A_log", Tensor.copyOf(arena, "a", new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
            in.put("cls_token", Tensor.copyOf(arena, "c", new float[] {-0.5f}, 1, 1, 1));
            in.put("scalar", Tensor.copyOf(arena, "s", new float[] {7f}));
            in.put("empty", Tensor.allocate(arena, "e", 0, 4));
            in.put("name with \"quotes\" and é", Tensor.copyOf(arena, "q", new float[] {9, 8}, 2));
            SafetensorsWriter.write(p, in, Map.of("format", "pt", "args.input_size", "224", "note", "a\"b\nc"));
        }
        byte[] bytes = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "data section starts 8-byte aligned");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertTrue(json.endsWith("}") && header.substring(json.length()).chars().allMatch(c -> c == ' '),
                "header padded with spaces: [" + header + "]");
        assertTrue(json.startsWith("{\"__metadata__\":{\"args.input_size\":\"224\",\"format\":\"pt\""), json);

        try (StateDict sd = SafetensorsReader.read(p)) {
            assertEquals(List.of("layers.0.mixer.A_log", "cls_token", "scalar", "empty", "name with \"quotes\" and é"),
                    List.copyOf(sd.names()));
            Tensor a = sd.get("layers.0.mixer.A_log");
            assertEquals("layers.0.mixer.A_log", a.name());
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.toFloatArray());
            assertTrue(a.data().isMapped(), "tensors are slices of the mapped file");
            assertArrayEquals(new long[] {1, 1, 1}, sd.get("cls_token").shape());
            assertEquals(0, sd.get("scalar").rank());
            assertEquals(7f, sd.get("scalar").getFloat(0));
            assertArrayEquals(new long[] {0, 4}, sd.get("empty").shape());
            assertArrayEquals(new float[] {9, 8}, sd.get("name with \"quotes\" and é").toFloatArray());
            assertEquals(Map.of("format", "pt", "args.input_size", "224", "note", "a\"b\nc"), sd.metadata());
        }
    }

    @Test
    void roundTripsOtherDtypesAndAStateDict() {
        Path p = tmp.resolve("d.safetensors");
        Path q = tmp.resolve("e.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            var longs = arena.allocate(16);
            longs.setAtIndex(ValueLayout.JAVA_LONG, 0, -5L);
            longs.setAtIndex(ValueLayout.JAVA_LONG, 1, 1L << 40);
            var half = arena.allocate(2);
            half.set(ValueLayout.JAVA_SHORT, 0, Float.floatToFloat16(0.75f));
            SequencedMap<String, Tensor> in = new LinkedHashMap<>();
            in.put("i", Tensor.wrap("i", DType.I64, longs, 2));
            in.put("h", Tensor.wrap("h", DType.F16, half, 1));
            SafetensorsWriter.write(p, in, Map.of());
        }
        try (StateDict sd = SafetensorsReader.read(p)) {
            assertEquals(DType.I64, sd.get("i").dtype());
            assertEquals(1L << 40, sd.get("i").data().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 1));
            assertEquals(0.75f, sd.get("h").getFloat(0));
            assertTrue(sd.metadata().isEmpty());
            SafetensorsWriter.write(q, sd); // a StateDict, mapped from a file, written back out
        }
        try (StateDict sd = SafetensorsReader.read(q)) {
            assertEquals(-5L, sd.get("i").data().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        }
    }

    @Test
    void readsAFileAssembledFromTheFormatDescription() {
        try (StateDict sd = SafetensorsReader.read(Fixtures.path("safetensors/handmade.safetensors"))) {
            assertEquals(List.of("weight", "bias", "half"), List.copyOf(sd.names()));
            assertArrayEquals(new float[] {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}, sd.get("weight").toFloatArray());
            assertArrayEquals(new long[] {2, 3}, sd.get("weight").shape());
            assertArrayEquals(new float[] {0, 10, 20, 30}, sd.get("bias").toFloatArray());
            assertEquals(DType.F16, sd.get("half").dtype());
            assertArrayEquals(new float[] {1.0f, -0.5f, 2.0f}, sd.get("half").toFloatArray());
            assertEquals(Map.of("format", "pt", "source", "make_io_fixtures"), sd.metadata());
        }
    }

    @Test
    void closingReleasesTheMapping() {
        StateDict sd = SafetensorsReader.read(Fixtures.path("safetensors/handmade.safetensors"));
        Tensor w = sd.get("weight");
        sd.close();
        assertThrows(IllegalStateException.class, () -> w.getFloat(0));
    }

    @Test
    void writerRefusesTheReservedName() {
        try (Arena arena = Arena.ofConfined()) {
            SequencedMap<String, Tensor> in = new LinkedHashMap<>();
            in.put("__metadata__", Tensor.allocate(arena, "x", 1));
            Path p = tmp.resolve("r.safetensors");
            assertThrows(VimException.class, () -> SafetensorsWriter.write(p, in, Map.of()));
            assertFalse(Files.exists(p));
        }
    }

    @Test
    void writerRefusesNamesThatCannotRoundTrip() {
        // A lone surrogate (a Python str may hold one) has no UTF-8 form: written as '?', it would name another tensor.
        try (Arena arena = Arena.ofConfined()) {
            for (String bad : new String[] {"w\ud800", "\udc00x", "a\ud800\ud800b"}) {
                SequencedMap<String, Tensor> in = new LinkedHashMap<>();
                in.put(bad, Tensor.allocate(arena, "x", 1));
                Path p = tmp.resolve("s.safetensors");
                String msg = assertThrows(VimException.class, () -> SafetensorsWriter.write(p, in, Map.of())).getMessage();
                assertTrue(msg.contains("cannot write tensor name") && msg.contains("lone surrogate") && msg.contains("round-trip"), msg);
                assertFalse(Files.exists(p));
                SequencedMap<String, Tensor> ok = new LinkedHashMap<>();
                ok.put("w", Tensor.allocate(arena, "x", 1));
                msg = assertThrows(VimException.class, () -> SafetensorsWriter.write(p, ok, Map.of("k", bad))).getMessage();
                assertTrue(msg.contains("cannot write metadata value of 'k'"), msg);
            }
            // A valid pair (an astral character) is fine and round-trips.
            SequencedMap<String, Tensor> astral = new LinkedHashMap<>();
            astral.put("w\ud83d\ude00", Tensor.allocate(arena, "x", 1));
            Path p = tmp.resolve("a.safetensors");
            SafetensorsWriter.write(p, astral, Map.of());
            try (StateDict sd = SafetensorsReader.read(p)) {
                assertTrue(sd.contains("w\ud83d\ude00"));
            }
        }
    }

    @Test
    void messagesQuoteBoundedPartsOfTheHeader() {
        // A megabyte-long name and a huge bogus dtype: the refusal stays one short line.
        String name = "n".repeat(1 << 20);
        String dtype = "[" + "0,".repeat(100_000) + "0]";
        byte[] header = ("{\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":[1],\"data_offsets\":[0,4]}}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + header.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).putFloat(1f);
        Path p = Fixtures.write(tmp, "long.safetensors", b.array());
        String msg = assertThrows(VimException.class, () -> SafetensorsReader.read(p)).getMessage();
        assertTrue(msg.length() < 400 && msg.contains("unsupported dtype a list of 100001"), msg);
    }

    private static final byte[] DATA16 = Fixtures.f32(1, 2, 3, 4);

    @Test
    void refusesOverlappingTensors() {
        String msg = error(file("o.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", DATA16));
        assertTrue(msg.contains("'a' [0, 8) and 'b' [4, 12) overlap"), msg);
    }

    @Test
    void refusesOffsetsPastTheDataSection() {
        String msg = error(file("p.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,20]}}", DATA16));
        assertTrue(msg.contains("tensor 'a'") && msg.contains("past the data section of 16 bytes"), msg);
    }

    @Test
    void refusesUnknownDtype() {
        String msg = error(file("d.safetensors", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", DATA16));
        assertTrue(msg.contains("unsupported dtype 'F8_E4M3'"), msg);
        String num = error(file("d2.safetensors", "{\"a\":{\"dtype\":4,\"shape\":[4],\"data_offsets\":[0,4]}}", DATA16));
        assertTrue(num.contains("unsupported dtype 4"), num);
    }

    @Test
    void refusesSizeThatDisagreesWithShape() {
        String msg = error(file("s.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", DATA16));
        assertTrue(msg.contains("[3] F32 needs 12 bytes, data_offsets [0, 16] hold 16"), msg);
    }

    @Test
    void refusesDuplicateNames() {
        String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        String msg = error(file("n.safetensors", "{\"a\":" + t + ",\"a\":" + t + "}", DATA16));
        assertTrue(msg.contains("duplicate member name \"a\""), msg);
    }

    @Test
    void refusesHeaderLengthBeyondLimitOrFile() {
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(SafetensorsReader.MAX_HEADER_BYTES + 1);
        String tooLong = error(Fixtures.write(tmp, "l.safetensors", b.array()));
        assertTrue(tooLong.contains("exceeds the 100000000-byte limit"), tooLong);
        b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L); // 2^64 - 1
        String unsigned = error(Fixtures.write(tmp, "u.safetensors", b.array()));
        assertTrue(unsigned.contains("18446744073709551615"), unsigned);
        b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(17);
        String past = error(Fixtures.write(tmp, "x.safetensors", b.array()));
        assertTrue(past.contains("runs past the end of the 24-byte file"), past);
        String tiny = error(Fixtures.write(tmp, "t.safetensors", new byte[5]));
        assertTrue(tiny.contains("shorter than the 8-byte header length"), tiny);
    }

    @Test
    void refusesInvalidOffsetsAndShapes() {
        String[][] cases = {
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", "0 <= begin <= end"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "0 <= begin <= end"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "data_offsets must be [begin, end]"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", "data_offsets must be [begin, end]"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "non-negative integers"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "non-negative integers"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":\"4\",\"data_offsets\":[0,4]}}", "shape must be a list"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", "overflows"},
            {"{\"a\":[1,2]}", "expected an object"},
            {"{\"__metadata__\":{\"k\":1}}", "__metadata__ value of 'k' is not a string"},
            {"{\"__metadata__\":[]}", "__metadata__ must be an object"},
            {"[]", "header is not a JSON object"},
            {"{\"a\":{\"dtype\":\"F32\",}", "invalid JSON"},
        };
        for (int i = 0; i < cases.length; i++) {
            String msg = error(file("c" + i + ".safetensors", cases[i][0], DATA16));
            assertTrue(msg.contains(cases[i][1]), cases[i][0] + " -> " + msg);
            assertTrue(msg.contains("c" + i + ".safetensors"), msg);
        }
    }

    @Test
    void refusesHeaderThatIsNotUtf8() {
        byte[] h = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
        assertTrue(error(Fixtures.write(tmp, "utf.safetensors", b.array())).contains("not valid UTF-8"));
    }

    @Test
    void acceptsEmptyTensorsAnywhereAndGapsBetweenTensors() {
        Path p = file("g.safetensors", "{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", DATA16);
        try (StateDict sd = SafetensorsReader.read(p)) {
            assertArrayEquals(new float[] {1, 2}, sd.get("a").toFloatArray());
            assertArrayEquals(new float[] {4}, sd.get("b").toFloatArray());
            assertEquals(0, sd.get("e").numel());
        }
    }
}
