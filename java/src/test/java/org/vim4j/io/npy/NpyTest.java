package org.vim4j.io.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;
import org.vim4j.io.Fixtures;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

class NpyTest {
    @TempDir
    Path tmp;

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.5f - 1.0f;
        }
        return v;
    }

    @Test
    void writeThenReadRoundTrips() throws IOException {
        float[] values = {1.5f, -2f, Float.MIN_VALUE, Float.MAX_VALUE, -0f, Float.NaN};
        Path p = tmp.resolve("x.npy");
        Npy.write(p, values, 2, 3);
        byte[] file = Files.readAllBytes(p);
        assertEquals(0, (file.length - values.length * 4) % 64, "header padded to 64 bytes");
        assertEquals(1, file[6], "format version 1.0");
        String header = new String(file, 10, file.length - 10 - 24, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header);
        assertTrue(header.endsWith("\n"));
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Npy.read(p, arena);
            assertEquals("x", t.name());
            assertArrayEquals(new long[] {2, 3}, t.shape());
            assertEquals(DType.F32, t.dtype());
            assertEquals(Arrays.toString(values), Arrays.toString(t.toFloatArray()));
        }
    }

    @Test
    void roundTripsOneDimensionalScalarAndEmptyShapes() {
        try (Arena arena = Arena.ofConfined()) {
            for (long[] shape : new long[][] {{5}, {}, {0, 7}}) {
                float[] v = ramp((int) Tensor.numel(shape));
                Path p = tmp.resolve("s" + shape.length + ".npy");
                Npy.write(p, v, shape);
                Tensor t = Npy.read(p, "t", arena);
                assertArrayEquals(shape, t.shape());
                assertArrayEquals(v, t.toFloatArray());
            }
        }
    }

    @Test
    void writesTensorsIncludingNonF32() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.copyOf(arena, "w", ramp(12), 3, 4);
            Path p = tmp.resolve("w.npy");
            Npy.write(p, t);
            assertArrayEquals(ramp(12), Npy.read(p, arena).toFloatArray());

            java.lang.foreign.MemorySegment halves = arena.allocate(4);
            halves.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, Float.floatToFloat16(1.5f));
            halves.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 2, Float.floatToFloat16(-2f));
            Npy.write(p, Tensor.wrap("h", DType.F16, halves, 2));
            assertArrayEquals(new float[] {1.5f, -2f}, Npy.read(p, arena).toFloatArray());

            Tensor ints = Tensor.wrap("i", DType.I32, arena.allocate(8), 2);
            VimException e = assertThrows(VimException.class, () -> Npy.write(p, ints));
            assertTrue(e.getMessage().contains("I32"), e.getMessage());
        }
    }

    @Test
    void writeRejectsValueCountShapeMismatch() {
        VimException e = assertThrows(VimException.class, () -> Npy.write(tmp.resolve("bad.npy"), new float[5], 2, 3));
        assertTrue(e.getMessage().contains("5 values do not fill shape [2, 3]"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("bad.npy")));
    }

    @Test
    void readsFilesNumpyWrote() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = Npy.read(Fixtures.path("npy/f32_2x3x4.npy"), arena);
            assertArrayEquals(new long[] {2, 3, 4}, a.shape());
            assertArrayEquals(ramp(24), a.toFloatArray());
            Tensor v2 = Npy.read(Fixtures.path("npy/f32_v2.npy"), arena);
            assertArrayEquals(new long[] {3, 4}, v2.shape());
            assertArrayEquals(Arrays.copyOfRange(ramp(24), 0, 12), v2.toFloatArray());
            Tensor v3 = Npy.read(Fixtures.path("npy/f32_v3.npy"), arena);
            assertArrayEquals(new long[] {4}, v3.shape());
            assertArrayEquals(Arrays.copyOfRange(ramp(24), 12, 16), v3.toFloatArray());
            Tensor s = Npy.read(Fixtures.path("npy/scalar.npy"), arena);
            assertEquals(0, s.rank());
            assertEquals(2.25f, s.getFloat(0));
        }
    }

    private static String readError(Path p) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(VimException.class, () -> Npy.read(p, arena)).getMessage();
        }
    }

    @Test
    void refusesOtherDtypesOrdersAndByteOrders() {
        String f64 = readError(Fixtures.path("npy/f64.npy"));
        assertTrue(f64.contains("'<f8'") && f64.contains("f64.npy"), f64);
        String i32 = readError(Fixtures.path("npy/int32.npy"));
        assertTrue(i32.contains("'<i4'"), i32);
        String fortran = readError(Fixtures.path("npy/fortran.npy"));
        assertTrue(fortran.contains("Fortran order"), fortran);
        String be = readError(Fixtures.path("npy/big_endian.npy"));
        assertTrue(be.contains("'>f4'") && be.contains("big-endian"), be);
    }

    @Test
    void refusesWrongMagicAndCorruptHeaders() throws IOException {
        String magic = readError(Fixtures.write(tmp, "m.npy", "PK\u0003\u0004 not numpy".getBytes(StandardCharsets.ISO_8859_1)));
        assertTrue(magic.contains("not a .npy file") && magic.contains("50 4b 03 04"), magic);
        assertTrue(readError(Fixtures.write(tmp, "short.npy", new byte[] {(byte) 0x93, 'N'})).contains("not a .npy file"));

        byte[] good = Files.readAllBytes(Fixtures.path("npy/f32_2x3x4.npy"));
        byte[] v9 = good.clone();
        v9[6] = 9;
        assertTrue(readError(Fixtures.write(tmp, "v9.npy", v9)).contains("unsupported .npy format version 9.0"));

        byte[] longHeader = good.clone();
        longHeader[8] = (byte) 0xff;
        longHeader[9] = (byte) 0xff;
        assertTrue(readError(Fixtures.write(tmp, "hl.npy", longHeader)).contains("runs past the end"));

        byte[] garbled = good.clone();
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 4), }";
        System.arraycopy(h.getBytes(StandardCharsets.ISO_8859_1), 0, garbled, 10, h.length());
        assertTrue(readError(Fixtures.write(tmp, "g.npy", garbled)).contains("malformed .npy header"));

        byte[] extraKey = good.clone();
        String k = "{'descr': '<f4', 'fortran_order': False, 'shape': (24,), 'x': 1}";
        System.arraycopy(k.getBytes(StandardCharsets.ISO_8859_1), 0, extraKey, 10, k.length());
        assertTrue(readError(Fixtures.write(tmp, "k.npy", extraKey)).contains("must be a dict with keys"));
    }

    @Test
    void refusesDataSizeThatDisagreesWithShape() throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.path("npy/f32_2x3x4.npy"));
        String cut = readError(Fixtures.write(tmp, "cut.npy", Arrays.copyOf(good, good.length - 4)));
        assertTrue(cut.contains("needs 96 bytes of data, the file has 92"), cut);
        String extra = readError(Fixtures.write(tmp, "extra.npy", Arrays.copyOf(good, good.length + 1)));
        assertTrue(extra.contains("the file has 97"), extra);

        // A shape claiming ~2^62 elements is refused before any allocation.
        byte[] huge = good.clone();
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 2147483648), }";
        Arrays.fill(huge, 10, 10 + 118, (byte) ' ');
        System.arraycopy(h.getBytes(StandardCharsets.ISO_8859_1), 0, huge, 10, h.length());
        String hugeMsg = readError(Fixtures.write(tmp, "huge.npy", huge));
        assertTrue(hugeMsg.contains("overflows") || hugeMsg.contains("needs"), hugeMsg);
    }

    @Test
    void missingFileIsNamed() {
        String msg = readError(tmp.resolve("nope.npy"));
        assertTrue(msg.contains("file not found") && msg.contains("nope.npy"), msg);
    }

    @Test
    void streamedWritesHoldOnlyWhatTheProducerHolds() throws IOException {
        Path p = tmp.resolve("s.npy");
        Npy.write(p, new long[] {3, 70_000}, sink -> {
            for (int row = 0; row < 3; row++) {
                float[] r = ramp(70_000);
                r[0] = row;
                sink.write(r, 0, r.length);
            }
        });
        try (Arena a = Arena.ofConfined()) {
            Tensor t = Npy.read(p, a);
            assertEquals("[3, 70000]", Arrays.toString(t.shape()));
            assertEquals(2f, t.getFloat(2 * 70_000));
            assertEquals(ramp(70_000)[69_999], t.getFloat(3 * 70_000 - 1));
        }
        // Too few or too many values: refused, and nothing is left under the name.
        Path q = tmp.resolve("short.npy");
        String msg = assertThrows(VimException.class, () -> Npy.write(q, new long[] {2, 2}, sink -> sink.write(new float[3], 0, 3)))
                .getMessage();
        assertTrue(msg.contains("3 values do not fill shape [2, 2]"), msg);
        msg = assertThrows(VimException.class, () -> Npy.write(q, new long[] {2}, sink -> sink.write(new float[3], 0, 3)))
                .getMessage();
        assertTrue(msg.contains("more than the 2 values of shape [2]"), msg);
        assertTrue(!Files.exists(q));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }
}
