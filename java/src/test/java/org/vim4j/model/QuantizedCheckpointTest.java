package org.vim4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vim4j.BackendKind;
import org.vim4j.Precision;
import org.vim4j.VimConfig;
import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.io.StateDict;
import org.vim4j.io.checkpoint.CheckpointReader;
import org.vim4j.io.safetensors.SafetensorsWriter;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.Quantization;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * Checkpoints stored for a precision ({@link QuantizedCheckpoint}, {@code vim4j convert --precision}): what they hold,
 * how they load (memory-mapped; the stored precision is the default; another precision dequantizes), Vim-Tiny's int8
 * size, and hostile variants of the int8 format, each refused with a message naming the tensor and the rule.
 */
class QuantizedCheckpointTest {
    static Path dir;
    static Path fp32;

    @BeforeAll
    static void files() throws IOException {
        dir = Files.createTempDirectory("vim4j-quantized");
        fp32 = dir.resolve("fashion-mnist-vim.safetensors");
        try (InputStream in = VimModel.class.getResourceAsStream("/org/vim4j/models/fashion-mnist-vim.safetensors")) {
            Files.copy(in, fp32);
        }
    }

    @AfterAll
    static void clean() throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The embedded model converted for {@code p}, then {@code edit}ed, written to {@code name}. */
    static Path write(String name, Precision p, Consumer<SequencedMap<String, Tensor>> edit, Map<String, String> extraMeta) {
        Path out = dir.resolve(name);
        try (StateDict sd = CheckpointReader.read(fp32); Arena arena = Arena.ofConfined()) {
            VimConfig c = VimConfigInference.infer(sd, null, null);
            SequencedMap<String, Tensor> t = new LinkedHashMap<>(QuantizedCheckpoint.convert(sd, c, p, arena));
            edit.accept(t);
            Map<String, String> meta = new LinkedHashMap<>(sd.metadata());
            meta.put(VimModel.PRECISION_METADATA, p.label());
            meta.putAll(extraMeta);
            SafetensorsWriter.write(out, t, meta);
        }
        return out;
    }

    static Path write(String name, Precision p, Consumer<SequencedMap<String, Tensor>> edit) {
        return write(name, p, edit, Map.of());
    }

    static VimOptions vector() {
        return VimOptions.defaults().withBackend(BackendKind.VECTOR);
    }

    @Test
    void int8CheckpointHoldsTheModesOwnQuantizationAndBf16ForTheRest() {
        Path q = write("int8.safetensors", Precision.INT8, t -> { });
        try (StateDict orig = CheckpointReader.read(fp32); StateDict sd = CheckpointReader.read(q); Arena arena = Arena.ofConfined()) {
            VimConfig c = VimConfigInference.infer(orig, null, null);
            for (String name : orig.names()) {
                Tensor w = sd.get(name);
                if (WeightNames.quantizable(c).contains(name)) {
                    // Lossless for the mode: exactly what INT8 computes from the fp32 weight at load.
                    assertEquals(DType.I8, w.dtype(), name);
                    Tensor o = orig.get(name);
                    int n = (int) o.dim(0), k = (int) (o.numel() / n);
                    Quantization.Int8Weight want = Quantization.int8(LinearSource.of(o.reshape(n, k), null), n, k, arena);
                    assertArrayEquals(want.q().toArray(ValueLayout.JAVA_BYTE), w.data().toArray(ValueLayout.JAVA_BYTE), name);
                    assertArrayEquals(want.scales().toArray(ValueLayout.JAVA_FLOAT),
                            sd.get(name + WeightNames.SCALE_SUFFIX).toFloatArray(), name);
                    assertEquals(DType.F32, sd.get(name + WeightNames.SCALE_SUFFIX).dtype());
                } else {
                    assertEquals(DType.BF16, w.dtype(), name);
                    float[] a = orig.get(name).toFloatArray(), b = w.toFloatArray();
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(Quantization.roundBf16(a[i]), b[i], name);
                    }
                }
            }
            assertEquals("int8", sd.metadata().get(VimModel.PRECISION_METADATA));
        }
    }

    @Test
    void theStoredPrecisionIsTheDefaultAndAnotherDequantizes() {
        Path q = write("int8-default.safetensors", Precision.INT8, t -> { });
        float[] x = new float[28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 29) / 14f - 1f;
        }
        try (VimModel m = VimModel.load(q, vector()); VimSession s = m.newSession()) {
            assertEquals(Precision.INT8, m.precision());
            assertTrue(m.weightBytes() < 2 * m.config().parameterCount(), "int8 weight bytes " + m.weightBytes());
            s.logits(x, 1, 28, 28);
        }
        // At fp32 the int8 weights are dequantized: the same numbers as the fp32 file holding q * scale.
        Path deq = write("int8-as-fp32.safetensors", Precision.FP32, t -> { });
        float[] viaInt8, viaFile;
        try (VimModel m = VimModel.load(q, vector().withPrecision(Precision.FP32)); VimSession s = m.newSession()) {
            assertEquals(Precision.FP32, m.precision());
            viaInt8 = s.logits(x, 1, 28, 28);
        }
        try (VimModel m = VimModel.load(deq, vector()); VimSession s = m.newSession()) {
            assertEquals(Precision.FP32, m.precision());
            viaFile = s.logits(x, 1, 28, 28);
        }
        assertEquals(10, viaInt8.length);
        // deq holds F32 copies of the fp32 source, not of the int8 file: the two differ by the int8 rounding only.
        double cos = 0, na = 0, nb = 0;
        for (int i = 0; i < 10; i++) {
            cos += viaInt8[i] * viaFile[i];
            na += viaInt8[i] * viaInt8[i];
            nb += viaFile[i] * viaFile[i];
        }
        assertTrue(cos / Math.sqrt(na * nb) > 0.99, "dequantized int8 vs fp32 cosine " + cos / Math.sqrt(na * nb));
        try (VimModel m = VimModel.load(q, vector().withPrecision(Precision.BF16))) {
            assertEquals(Precision.BF16, m.precision());
        }
    }

    @Test
    void vimTinyInt8CheckpointIsUnder8MB() throws IOException {
        VimConfig tiny = VimConfig.preset("tiny");
        Path f32 = dir.resolve("tiny.safetensors"), i8 = dir.resolve("tiny-int8.safetensors"),
                b16 = dir.resolve("tiny-bf16.safetensors");
        try (StateDict sd = RandomWeights.create(tiny, 3); Arena arena = Arena.ofConfined()) {
            SafetensorsWriter.write(f32, sd.tensors(), Map.of());
            SafetensorsWriter.write(i8, QuantizedCheckpoint.convert(sd, tiny, Precision.INT8, arena),
                    Map.of(VimModel.PRECISION_METADATA, "int8"));
            SafetensorsWriter.write(b16, QuantizedCheckpoint.convert(sd, tiny, Precision.BF16, arena),
                    Map.of(VimModel.PRECISION_METADATA, "bf16"));
        }
        long a = Files.size(f32), b = Files.size(b16), c = Files.size(i8);
        System.out.printf("Vim-Tiny checkpoint: fp32 %,d bytes, bf16 %,d bytes, int8 %,d bytes%n", a, b, c);
        assertTrue(c < 8_000_000, "Vim-Tiny int8 checkpoint is " + c + " bytes");
        assertTrue(b < a / 2 + 100_000, "Vim-Tiny bf16 checkpoint is " + b + " bytes");
        try (VimModel m = VimModel.load(i8, vector())) {
            assertEquals(Precision.INT8, m.precision());
        }
    }

    // ------------------------------------------------------------------------------------ hostile int8 variants

    static void refused(String name, Consumer<SequencedMap<String, Tensor>> edit, String... expected) {
        refused(name, edit, Map.of(), expected);
    }

    static void refused(String name, Consumer<SequencedMap<String, Tensor>> edit, Map<String, String> meta,
            String... expected) {
        Path p = write(name, Precision.INT8, edit, meta);
        for (Precision at : new Precision[] {null, Precision.FP32, Precision.BF16}) {
            VimException e = assertThrows(VimException.class, () -> {
                try (VimModel m = VimModel.load(p, vector().withPrecision(at))) {
                    m.precision();
                }
            }, name + " at " + at);
            for (String s : expected) {
                assertTrue(e.getMessage().contains(s), name + " at " + at + ": " + e.getMessage());
            }
        }
    }

    static final String IN_PROJ = "layers.0.mixer.in_proj.weight";

    static Tensor bytes(String name, byte[] v, long... shape) {
        return Tensor.wrap(name, DType.I8, MemorySegment.ofArray(v), shape);
    }

    static Tensor floats(String name, float[] v, long... shape) {
        return Tensor.wrap(name, DType.F32, copy(v), shape);
    }

    static MemorySegment copy(float[] v) {
        MemorySegment s = Arena.ofAuto().allocate(4L * Math.max(1, v.length), 4).asSlice(0, 4L * v.length);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, v.length);
        return s;
    }

    @Test
    void wrongScaleShapeIsRefused() {
        refused("scale-shape.safetensors", t -> {
            Tensor s = t.get(IN_PROJ + "_scale");
            float[] v = java.util.Arrays.copyOf(s.toFloatArray(), (int) s.numel() + 1);
            t.put(IN_PROJ + "_scale", floats(IN_PROJ + "_scale", v, v.length));
        }, "'" + IN_PROJ + "_scale'", "expected a float vector of 256 scales");
        refused("scale-rank.safetensors", t -> {
            Tensor s = t.get(IN_PROJ + "_scale");
            t.put(IN_PROJ + "_scale", floats(IN_PROJ + "_scale", s.toFloatArray(), s.numel(), 1));
        }, "expected a float vector of 256 scales");
        refused("scale-int.safetensors", t -> t.put(IN_PROJ + "_scale", bytes(IN_PROJ + "_scale", new byte[256], 256)),
                "is I8 [256], expected a float vector");
    }

    @Test
    void int8WhereFloatIsNeededIsRefused() {
        String dt = "layers.0.mixer.dt_proj.weight";
        refused("int8-dt-proj.safetensors", t -> {
            Tensor w = t.get(dt);
            t.put(dt, bytes(dt, new byte[(int) w.numel()], w.shape()));
            float[] s = new float[(int) w.dim(0)];
            t.put(dt + "_scale", floats(dt + "_scale", s, s.length));
        }, "tensor '" + dt + "' has dtype I8, expected a floating-point type", "unexpected 1 tensor(s): " + dt + "_scale");
        refused("int8-norm.safetensors", t -> t.put("norm_f.weight", bytes("norm_f.weight", new byte[64], 64)),
                "'norm_f.weight' has dtype I8, expected a floating-point type");
        refused("int8-no-scale.safetensors", t -> t.remove(IN_PROJ + "_scale"),
                "int8 tensor '" + IN_PROJ + "' has no '" + IN_PROJ + "_scale'");
        refused("float-with-scale.safetensors", t -> {
            Tensor w = t.get(IN_PROJ);
            t.put(IN_PROJ, floats(IN_PROJ, new float[(int) w.numel()], w.shape()));
        }, "scales a F32 weight; scales belong only to an I8 weight");
    }

    @Test
    void minus128IsRefused() {
        refused("minus128.safetensors", t -> {
            Tensor w = t.get(IN_PROJ);
            byte[] v = w.data().toArray(ValueLayout.JAVA_BYTE);
            v[v.length - 3] = Byte.MIN_VALUE;
            t.put(IN_PROJ, bytes(IN_PROJ, v, w.shape()));
        }, "'" + IN_PROJ + "' holds -128", "[-127, 127]");
    }

    @Test
    void badScalesAreRefused() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, -0.5f}) {
            refused("scale-" + bad + ".safetensors", t -> {
                float[] v = t.get(IN_PROJ + "_scale").toFloatArray();
                v[7] = bad;
                t.put(IN_PROJ + "_scale", floats(IN_PROJ + "_scale", v, v.length));
            }, "'" + IN_PROJ + "_scale' holds " + bad + " at 7", "finite and >= 0");
        }
    }

    @Test
    void anUnknownStoredPrecisionIsRefused() {
        Path p = write("int4.safetensors", Precision.INT8, t -> { }, Map.of(VimModel.PRECISION_METADATA, "int4"));
        VimException e = assertThrows(VimException.class, () -> VimModel.load(p, vector()).close());
        assertTrue(e.getMessage().contains("vim4j.precision") && e.getMessage().contains("expected fp32, bf16 or int8"),
                e.getMessage());
        // Named options win over the file's word, so the file still loads at a precision the caller names.
        try (VimModel m = VimModel.load(p, vector().withPrecision(Precision.INT8))) {
            assertEquals(Precision.INT8, m.precision());
        }
    }
}
