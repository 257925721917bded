package org.vim4j.backend;

import org.vim4j.kernel.*;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.vim4j.BackendKind;
import org.vim4j.Precision;
import org.vim4j.backend.scalar.ScalarKernels;
import org.vim4j.backend.vector.VectorKernels;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * Every available non-scalar backend against {@link ScalarKernels}, kernel by kernel, over many small
 * shapes: tails (lengths and channel counts that are not multiples of any vector width), degenerate
 * sizes (L=1, E=1..3, N=1, K=1, M=1), leading dimensions larger than the width, non-zero offsets,
 * both scan directions, accumulate on/off and outScale 0.5, with 1 and 2 threads. Backends that are
 * not available here are reported as skipped, with the reason.
 *
 * <p>Every output buffer starts as random "background" values, identical for both backends, and is
 * longer than the written region on both sides (guards) with gaps between rows (ld > width); the whole
 * buffer is compared, so a write outside the contract's region fails. Inputs are checked unchanged.
 * Shapes are small: before C2 compiles them, Vector API kernels run about 1000x slower.
 */
class KernelConformanceTest {
    private static final int GUARD = 7;
    private static final ScalarKernels REF = new ScalarKernels();

    @BeforeAll
    static void announce() {
        String vec = Backends.isAvailable(BackendKind.VECTOR)
                ? VectorKernels.vectorBits() + "-bit vectors" : "vector backend unavailable";
        String nat = org.vim4j.backend.ffm.NativeLibrary.status().available()
                ? "native " + org.vim4j.backend.ffm.NativeLibrary.status().isa() + " tier" : "native unavailable";
        System.out.println("KernelConformanceTest: " + vec + ", " + nat);
    }

    /** The per-tier Maven runs cap the native ISA with VIM4J_MAX_ISA: the library must honour the cap. */
    @org.junit.jupiter.api.Test
    void nativeTierHonoursTheIsaCap() {
        var status = org.vim4j.backend.ffm.NativeLibrary.status();
        org.junit.jupiter.api.Assumptions.assumeTrue(status.available(), () -> "native unavailable: " + status.reason());
        String cap = System.getenv("VIM4J_MAX_ISA");
        java.util.List<String> order = java.util.List.of("portable", "avx2", "avx512");
        org.junit.jupiter.api.Assumptions.assumeTrue(cap != null && order.contains(cap), "VIM4J_MAX_ISA not set");
        org.junit.jupiter.api.Assertions.assertTrue(order.indexOf(status.isa()) <= order.indexOf(cap),
                "tier " + status.isa() + " exceeds VIM4J_MAX_ISA=" + cap);
    }

    @TestFactory
    Stream<DynamicNode> backendsAgreeWithScalar() {
        Map<BackendKind, String> why = Backends.unavailable();
        List<DynamicNode> nodes = new ArrayList<>();
        for (BackendKind kind : BackendKind.values()) {
            if (kind == BackendKind.SCALAR) {
                continue;
            }
            if (why.containsKey(kind)) {
                String reason = kind.id() + " unavailable: " + why.get(kind);
                nodes.add(dynamicTest(kind.id() + " (unavailable)", () -> Assumptions.abort(reason)));
                continue;
            }
            List<DynamicNode> perThreads = new ArrayList<>();
            for (int threads : new int[] {1, 2}) {
                perThreads.add(dynamicContainer(kind.id() + ", " + threads + " thread(s)", tests(kind, threads)));
            }
            nodes.add(dynamicContainer(kind.id(), perThreads));
        }
        return nodes.stream();
    }

    private interface Check {
        void run(Kernels k, Arena arena);
    }

    private static DynamicNode test(BackendKind kind, int threads, String name, Check check) {
        return dynamicTest(name, () -> {
            try (Kernels k = Backends.create(kind, threads); Arena arena = Arena.ofShared()) {
                check.run(k, arena);
            }
        });
    }

    /** Buffers in a confined arena (e.g. a caller's image): a multi-threaded backend must not touch them from workers. */
    private static DynamicNode confinedTest(BackendKind kind, int threads, String name, Check check) {
        return dynamicTest(name + " [confined buffers]", () -> {
            try (Kernels k = Backends.create(kind, threads); Arena arena = Arena.ofConfined()) {
                check.run(k, arena);
            }
        });
    }

    private static List<DynamicNode> tests(BackendKind kind, int t) {
        List<DynamicNode> list = new ArrayList<>();
        // linear: m, k, n, lda, ldc, aOff, cOff, bias. N values hit both panel widths (2 and 3 vectors) at every
        // vector width; K > 256 hits K blocking; M = 1600 hits more than one pack round.
        int[][] gemm = {
            {1, 1, 1, 1, 1, 0, 0, 1}, {1, 1, 1, 1, 1, 0, 0, 0}, {5, 7, 3, 7, 3, 0, 0, 1}, {6, 16, 32, 16, 32, 3, 5, 1},
            {7, 33, 65, 40, 70, 1, 2, 0}, {12, 24, 64, 24, 64, 0, 0, 1}, {13, 12, 40, 44, 41, 0, 9, 1},
            {1, 20, 100, 180, 100, 60, 0, 1}, {19, 300, 37, 301, 37, 5, 0, 1}, {31, 520, 9, 520, 11, 0, 3, 0},
            {25, 5, 1, 5, 1, 0, 0, 1}, {2, 64, 129, 64, 130, 0, 1, 1}, {37, 48, 96, 50, 100, 11, 13, 1},
            {50, 18, 17, 18, 17, 0, 0, 0}, {23, 384, 44, 384, 44, 0, 0, 0}, {9, 10, 20, 10, 21, 0, 0, 1},
            {1600, 3, 5, 4, 6, 2, 1, 1},
        };
        for (int[] g : gemm) {
            list.add(test(kind, t, String.format("linear m=%d k=%d n=%d lda=%d ldc=%d aOff=%d cOff=%d bias=%b",
                    g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7] == 1), (k, a) -> checkLinear(k, a, g)));
        }
        // scan: batch, len, channels, states, reverse, accumulate, outScale*2, extra ld, seed, wide delta
        int[][] scan = {
            {1, 1, 1, 1, 0, 0, 2, 0, 1, 0}, {1, 1, 1, 1, 1, 1, 1, 3, 2, 0}, {1, 5, 3, 2, 0, 0, 2, 1, 3, 0},
            {1, 5, 2, 3, 1, 0, 1, 0, 4, 0}, {2, 9, 20, 3, 0, 1, 1, 4, 5, 0}, {2, 9, 20, 3, 1, 1, 2, 4, 6, 0},
            {1, 37, 32, 16, 0, 0, 2, 0, 7, 0}, {1, 37, 32, 16, 1, 1, 1, 5, 8, 0}, {2, 70, 19, 4, 1, 0, 2, 2, 9, 0},
            {1, 130, 33, 5, 0, 1, 1, 0, 10, 0}, {3, 11, 17, 16, 1, 0, 1, 1, 11, 1}, {1, 23, 48, 7, 0, 1, 2, 3, 12, 1},
            {1, 3, 64, 1, 1, 0, 2, 0, 13, 0}, {2, 66, 8, 2, 0, 0, 1, 0, 14, 0},
            // exactly two 64-step chunks of the vector scan, a 2-vector group plus a lone vector plus a tail
            {1, 128, 56, 16, 1, 1, 1, 1, 15, 0},
        };
        for (int[] s : scan) {
            list.add(test(kind, t, String.format("selectiveScan batch=%d len=%d E=%d N=%d reverse=%b accumulate=%b "
                    + "outScale=%.1f ldPad=%d wideDelta=%b", s[0], s[1], s[2], s[3], s[4] == 1, s[5] == 1, s[6] / 2.0,
                    s[7], s[9] == 1), (k, a) -> checkScan(k, a, s)));
        }
        // conv: batch, len, channels, kernel, reverse, ldPad
        int[][] conv = {
            {1, 1, 1, 4, 0, 0}, {1, 1, 1, 4, 1, 0}, {1, 3, 5, 4, 0, 2}, {1, 3, 5, 4, 1, 2}, {2, 9, 20, 4, 0, 1},
            {2, 9, 20, 4, 1, 1}, {1, 17, 35, 4, 1, 0}, {1, 17, 35, 4, 0, 0}, {1, 12, 16, 1, 0, 3}, {2, 7, 33, 2, 1, 0},
            {1, 40, 64, 3, 0, 5}, {3, 5, 7, 6, 1, 1},
        };
        for (int[] c : conv) {
            list.add(test(kind, t, String.format("convSilu batch=%d len=%d E=%d K=%d reverse=%b ldPad=%d",
                    c[0], c[1], c[2], c[3], c[4] == 1, c[5]), (k, a) -> checkConv(k, a, c)));
        }
        // norm: rows, dim, hidden
        int[][] norm = {{1, 1, 1}, {1, 3, 0}, {3, 17, 1}, {5, 16, 1}, {7, 192, 1}, {100, 192, 1}, {100, 192, 0}, {2, 33, 1}};
        for (int[] n : norm) {
            list.add(test(kind, t, String.format("addRmsNorm rows=%d dim=%d hidden=%b", n[0], n[1], n[2] == 1),
                    (k, a) -> checkNorm(k, a, n)));
        }
        // im2col: channels, height, width, patch, stride
        int[][] im = {{1, 4, 4, 4, 4}, {3, 16, 16, 4, 4}, {2, 20, 18, 5, 3}, {3, 32, 40, 16, 8}, {1, 7, 9, 3, 2}, {3, 32, 32, 16, 16}};
        for (int[] i : im) {
            list.add(test(kind, t, String.format("im2col C=%d H=%d W=%d patch=%d stride=%d", i[0], i[1], i[2], i[3], i[4]),
                    (k, a) -> checkIm2col(k, a, i)));
        }
        for (int n : new int[] {0, 1, 15, 17, 1000, 70_000}) {
            list.add(test(kind, t, "add n=" + n, (k, a) -> checkAddCopy(k, a, n, true)));
            list.add(test(kind, t, "copy n=" + n, (k, a) -> checkAddCopy(k, a, n, false)));
        }
        // linear at BF16 and INT8 (docs/precision.md): the same shapes, a backend that refuses a mode is skipped
        for (Precision p : new Precision[] {Precision.BF16, Precision.INT8}) {
            for (int gi : new int[] {0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16}) {
                int[] g = gemm[gi];
                list.add(test(kind, t, String.format("linear %s m=%d k=%d n=%d lda=%d ldc=%d aOff=%d cOff=%d bias=%b",
                        p.label(), g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7] == 1), (k, a) -> checkLinearAt(k, a, g, p, 0)));
            }
            for (int pattern = 1; pattern <= 3; pattern++) {
                int pat = pattern;
                list.add(test(kind, t, "linear " + p.label() + " " + PATTERNS[pat], (k, a) -> checkLinearAt(k, a,
                        new int[] {13, 37, 33, 40, 35, 1, 2, 1}, p, pat)));
            }
        }
        list.add(test(kind, t, "linear int8 checkpoint (I8 weight + scales)", (k, a) -> checkInt8Checkpoint(k, a)));
        for (Precision p : Precision.values()) {
            list.add(test(kind, t, "whole model (random weights) " + p.label(), (k, a) -> checkModel(kind, t, p)));
        }
        list.add(confinedTest(kind, t, "linear", (k, a) -> checkLinear(k, a, gemm[12])));
        list.add(confinedTest(kind, t, "selectiveScan", (k, a) -> checkScan(k, a, scan[7])));
        list.add(confinedTest(kind, t, "convSilu", (k, a) -> checkConv(k, a, conv[10])));
        list.add(confinedTest(kind, t, "addRmsNorm", (k, a) -> checkNorm(k, a, norm[5])));
        list.add(confinedTest(kind, t, "im2col", (k, a) -> checkIm2col(k, a, im[3])));
        list.add(confinedTest(kind, t, "add", (k, a) -> checkAddCopy(k, a, 70_000, true)));
        return list;
    }

    /**
     * Buffers in the backend's memory (device memory for CUDA): filled from the host, read back to compare. The
     * reference always runs on host copies of the same values.
     */
    private record Mem(Kernels k, Execution exec, Arena arena) {
        static Mem of(Kernels k, Arena arena) {
            return new Mem(k, k.newExecution(arena, 1), arena);
        }

        MemorySegment put(float[] v) {
            MemorySegment s = k.allocate(arena, v.length);
            exec.upload(seg(arena, v), 0, s, 0, v.length);
            return s;
        }

        float[] get(MemorySegment s, int n) {
            MemorySegment h = arena.allocate(Math.max(1, n) * 4L, 64).asSlice(0, n * 4L);
            exec.download(s, 0, h, 0, n);
            return arr(h);
        }
    }

    // ---------------------------------------------------------------------------------------------- linear

    private static void checkLinear(Kernels k, Arena arena, int[] g) {
        int m = g[0], kk = g[1], n = g[2], lda = g[3], ldc = g[4], aOff = g[5], cOff = g[6];
        Random r = new Random(31L * m + 7L * kk + n);
        float[] w = uniform(r, n * kk, -1, 1);
        float[] bias = g[7] == 1 ? uniform(r, n, -1, 1) : null;
        float[] a = uniform(r, aOff + (m - 1) * lda + kk + GUARD, -1, 1);
        float[] c = uniform(r, cOff + (m - 1) * ldc + n + GUARD, -9, 9);
        Tensor wt = Tensor.copyOf(arena, "w", w, n, kk);
        Tensor bt = bias == null ? null : Tensor.copyOf(arena, "b", bias, n);
        LinearWeight refW = REF.prepareLinear(wt, bt, arena);
        LinearWeight gotW = k.prepareLinear(wt, bt, arena);
        Mem mem = Mem.of(k, arena);
        MemorySegment aGot = mem.put(a), cWant = seg(arena, c), cGot = mem.put(c);
        REF.linear(seg(arena, a), aOff, lda, m, refW, cWant, cOff, ldc);
        k.linear(aGot, aOff, lda, m, gotW, cGot, cOff, ldc);
        // fp32 sums of K products of values in [-1, 1]: rounding grows like sqrt(K).
        assertClose("c", arr(cWant), mem.get(cGot, c.length), 1e-5 * Math.sqrt(kk), 1e-5);
        assertArrayEquals(a, mem.get(aGot, a.length), "linear modified its input");
        assertArrayEquals(w, wt.toFloatArray(), "prepareLinear modified the weight");
    }

    private static final String[] PATTERNS = {"uniform", "zero rows", "huge and tiny rows", "inf and NaN"};

    /**
     * A linear layer at BF16 or INT8 against the scalar oracle on the same source. Tolerances: INT8 is exact (the int32
     * sums are exact and the epilogue is the same two fp32 roundings in the same order); BF16 products of bf16 values
     * are exact in fp32, so backends differ only in the order of the fp32 sum: the fp32 test's tolerance,
     * {@code 1e-5 * sqrt(K)} absolute plus {@code 1e-5} relative, for values in [-1, 1]. Patterns: 1 = every third row
     * zero (and weight row 0 zero), 2 = rows scaled by 1e30 and 1e-30, 3 = a row holding NaN and one holding -inf.
     */
    private static void checkLinearAt(Kernels k, Arena arena, int[] g, Precision p, int pattern) {
        int m = g[0], kk = g[1], n = g[2], lda = g[3], ldc = g[4], aOff = g[5], cOff = g[6];
        Random r = new Random(31L * m + 7L * kk + n + 1000L * pattern);
        float[] w = uniform(r, n * kk, -1, 1);
        float[] bias = g[7] == 1 ? uniform(r, n, -1, 1) : null;
        float[] a = uniform(r, aOff + (m - 1) * lda + kk + GUARD, -1, 1);
        float[] c = uniform(r, cOff + (m - 1) * ldc + n + GUARD, -9, 9);
        for (int i = 0; i < m && pattern > 0; i++) {
            int row = aOff + i * lda;
            for (int j = 0; j < kk; j++) {
                if (pattern == 1 && i % 3 == 1) {
                    a[row + j] = 0f;
                } else if (pattern == 2) {
                    a[row + j] *= i % 2 == 0 ? 1e30f : 1e-30f;
                }
            }
            if (pattern == 3 && i == 1) {
                a[row + kk / 2] = Float.NaN;
            } else if (pattern == 3 && i == 2) {
                a[row + kk - 1] = Float.NEGATIVE_INFINITY;
            }
        }
        if (pattern == 1) {
            java.util.Arrays.fill(w, 0, kk, 0f);
        }
        Tensor wt = Tensor.copyOf(arena, "w", w, n, kk);
        Tensor bt = bias == null ? null : Tensor.copyOf(arena, "b", bias, n);
        compareLinear(k, arena, LinearSource.of(wt, bt), p, a, c, g);
        assertArrayEquals(w, wt.toFloatArray(), "prepareLinear modified the weight");
    }

    /** An int8 checkpoint's weight (I8 data + per-row scales) taken as stored, at INT8 and dequantized at FP32/BF16. */
    private static void checkInt8Checkpoint(Kernels k, Arena arena) {
        int n = 19, kk = 23;
        Random r = new Random(5);
        byte[] q = new byte[n * kk];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) (r.nextInt(255) - 127);
        }
        float[] scales = uniform(r, n, 0f, 0.02f);
        scales[3] = 0f;
        Tensor qt = Tensor.wrap("q", DType.I8, arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, q), n, kk);
        Tensor st = Tensor.copyOf(arena, "q_scale", scales, n);
        float[] a = uniform(r, 5 * kk + GUARD, -2, 2);
        float[] c = uniform(r, 5 * n + GUARD, -9, 9);
        for (Precision p : Precision.values()) {
            compareLinear(k, arena, new LinearSource(qt, st, null), p, a, c, new int[] {5, kk, n, kk, n, 0, 0, 0});
        }
    }

    private static void compareLinear(Kernels k, Arena arena, LinearSource src, Precision p, float[] a, float[] c, int[] g) {
        int m = g[0], kk = g[1], lda = g[3], ldc = g[4], aOff = g[5], cOff = g[6];
        LinearWeight gotW;
        try {
            gotW = k.prepareLinear(src, p, arena);
        } catch (org.vim4j.VimException e) {
            Assumptions.abort(k.getClass().getSimpleName() + " does not run " + p.label() + ": " + e.getMessage());
            return;
        }
        LinearWeight refW = REF.prepareLinear(src, p, arena);
        Mem mem = Mem.of(k, arena);
        MemorySegment aGot = mem.put(a), cWant = seg(arena, c), cGot = mem.put(c);
        REF.linear(seg(arena, a), aOff, lda, m, refW, cWant, cOff, ldc);
        k.linear(aGot, aOff, lda, m, gotW, cGot, cOff, ldc);
        if (p == Precision.INT8) {
            assertClose("c (" + p.label() + ")", arr(cWant), mem.get(cGot, c.length), 0, 0);
        } else {
            assertClose("c (" + p.label() + ")", arr(cWant), mem.get(cGot, c.length), 1e-5 * Math.sqrt(kk), 1e-5);
        }
        assertArrayEquals(a, mem.get(aGot, a.length), "linear modified its input");
    }

    /**
     * A small random-weight model (2 layers, D = 48, 16 patches + class token) through the whole forward pass, the
     * backend against the scalar oracle at the same precision. The per-layer differences (fp32 sum order in the scan,
     * norms and the FP32/BF16 GEMMs) could move an INT8 activation across a rounding boundary, so the logits get
     * {@code 2e-5} of their RMS absolute plus {@code 1e-5} relative (measured on avx512/avx2/portable: at most 3.2e-8
     * absolute for an RMS of 0.16). The mode's own change is larger (BF16 vs FP32 1.2e-5, INT8 vs FP32 5.3e-5 here), and
     * the backend's difference must also stay below it, so the check cannot pass with the precision ignored.
     */
    private static void checkModel(BackendKind kind, int threads, Precision p) {
        org.vim4j.VimConfig cfg = new org.vim4j.VimConfig(32, 8, 8, 3, 48, 2, 16, 4, 2, 3, 10, 1e-5f);
        float[] img = uniform(new Random(77), 3 * 32 * 32, -2f, 2f);
        float[] want = logits(cfg, org.vim4j.VimOptions.defaults().withBackend(BackendKind.SCALAR).withPrecision(p), img);
        float[] got;
        try {
            got = logits(cfg, org.vim4j.VimOptions.defaults().withBackend(kind).withThreads(threads).withPrecision(p), img);
        } catch (org.vim4j.VimException e) {
            Assumptions.abort(kind.id() + " does not run " + p.label() + ": " + e.getMessage());
            return;
        }
        double rms = rms(want);
        assertClose("logits (" + p.label() + ")", want, got, 2e-5 * rms, 1e-5);
        if (p != Precision.FP32) {
            float[] fp32 = logits(cfg, org.vim4j.VimOptions.defaults().withBackend(BackendKind.SCALAR), img);
            double mode = 0, backend = 0;
            for (int i = 0; i < fp32.length; i++) {
                mode = Math.max(mode, Math.abs(fp32[i] - want[i]));
                backend = Math.max(backend, Math.abs(got[i] - want[i]));
            }
            System.out.printf("whole model %s on %s: rms %.3g, |backend - scalar| <= %.3g, |%s - fp32| = %.3g%n",
                    p.label(), kind.id(), rms, backend, p.label(), mode);
            org.junit.jupiter.api.Assertions.assertTrue(backend < mode, "the backend's difference from the oracle ("
                    + backend + ") is not below the mode's own change (" + mode + ")");
        }
    }

    private static float[] logits(org.vim4j.VimConfig cfg, org.vim4j.VimOptions options, float[] img) {
        try (org.vim4j.VimModel model = org.vim4j.VimModel.random(cfg, 11, options);
                org.vim4j.VimSession s = model.newSession(1, 32, 32)) {
            return s.logits(img, 1, 32, 32);
        }
    }

    // ---------------------------------------------------------------------------------------------- scan

    private static void checkScan(Kernels k, Arena arena, int[] s) {
        int batch = s[0], len = s[1], e = s[2], ns = s[3], pad = s[7];
        boolean reverse = s[4] == 1, accumulate = s[5] == 1, wide = s[9] == 1;
        float outScale = s[6] / 2f;
        Random r = new Random(s[8]);
        int rows = batch * len;
        int ldu = e + pad, ldd = e + 2 * pad, ldz = 2 * e + pad, ldo = e + 3 * pad;
        int ldbc = 5 + 2 * ns + pad, bOff = 5, cOff = 5 + ns;
        long uOff = 3, dOff = 1, zOff = 2 + e, oOff = 4;
        float[] u = uniform(r, (int) uOff + rows * ldu + GUARD, -0.5f, 2f);
        float[] delta = wide ? uniform(r, (int) dOff + rows * ldd + GUARD, -30f, 30f)
                : uniform(r, (int) dOff + rows * ldd + GUARD, -5f, 1.5f);
        float[] aT = new float[ns * e];
        for (int i = 0; i < aT.length; i++) {
            aT[i] = (float) -Math.exp(-1 + 3.8 * r.nextDouble()); // like -exp(A_log), A_log ~ log(1..16)
        }
        float[] bc = uniform(r, rows * ldbc + GUARD, -1.5f, 1.5f);
        float[] dSkip = uniform(r, e, 0.5f, 1.5f);
        float[] dBias = uniform(r, e, -4f, 0f);
        float[] z = uniform(r, (int) zOff + rows * ldz + GUARD, -4f, 4f);
        float[] out = uniform(r, (int) oOff + rows * ldo + GUARD, -3f, 3f);
        ScanMode mode = new ScanMode(reverse, outScale, accumulate);

        MemorySegment want = seg(arena, out);
        MemorySegment bcHost = seg(arena, bc);
        ScanInputs refIn = new ScanInputs(new Rows(seg(arena, u), uOff, ldu), new Rows(seg(arena, delta), dOff, ldd),
                new Rows(bcHost, bOff, ldbc), new Rows(bcHost, cOff, ldbc), new Rows(seg(arena, z), zOff, ldz));
        REF.selectiveScan(refIn, new ScanWeights(seg(arena, aT), seg(arena, dSkip), seg(arena, dBias), e, ns),
                new Rows(want, oOff, ldo), batch, len, mode);

        Mem mem = Mem.of(k, arena);
        float[][] orig = {u, delta, aT, bc, dSkip, dBias, z};
        MemorySegment[] in = new MemorySegment[orig.length];
        for (int i = 0; i < orig.length; i++) {
            in[i] = mem.put(orig[i]);
        }
        MemorySegment got = mem.put(out);
        ScanInputs gotIn = new ScanInputs(new Rows(in[0], uOff, ldu), new Rows(in[1], dOff, ldd), new Rows(in[3], bOff, ldbc),
                new Rows(in[3], cOff, ldbc), new Rows(in[6], zOff, ldz));
        k.selectiveScan(gotIn, new ScanWeights(in[2], in[4], in[5], e, ns), new Rows(got, oOff, ldo), batch, len, mode);
        float[] w = arr(want);
        assertClose("out", w, mem.get(got, out.length), 1e-5 * rms(w), 1e-5);
        for (int i = 0; i < orig.length; i++) {
            assertArrayEquals(orig[i], mem.get(in[i], orig[i].length), "selectiveScan modified input " + i);
        }
    }

    // ---------------------------------------------------------------------------------------------- conv

    private static void checkConv(Kernels k, Arena arena, int[] c) {
        int batch = c[0], len = c[1], e = c[2], kernel = c[3], pad = c[5];
        boolean reverse = c[4] == 1;
        Random r = new Random(97L * len + e + kernel);
        int ldx = 2 * e + pad, ldo = e + 2 * pad;
        long xOff = 5, oOff = 2;
        float[] x = uniform(r, (int) xOff + batch * len * ldx + GUARD, -3f, 3f);
        float[] w = uniform(r, e * kernel, -1f, 1f);
        float[] b = uniform(r, e, -1f, 1f);
        float[] out = uniform(r, (int) oOff + batch * len * ldo + GUARD, -9f, 9f);
        MemorySegment want = seg(arena, out);
        REF.convSilu(new Rows(seg(arena, x), xOff, ldx), new ConvWeights(seg(arena, w), seg(arena, b), e, kernel),
                new Rows(want, oOff, ldo), batch, len, reverse);
        Mem mem = Mem.of(k, arena);
        MemorySegment xs = mem.put(x), got = mem.put(out);
        k.convSilu(new Rows(xs, xOff, ldx), new ConvWeights(mem.put(w), mem.put(b), e, kernel), new Rows(got, oOff, ldo),
                batch, len, reverse);
        assertClose("out", arr(want), mem.get(got, out.length), 1e-6, 1e-5);
        assertArrayEquals(x, mem.get(xs, x.length), "convSilu modified its input");
    }

    // ---------------------------------------------------------------------------------------------- norm

    private static void checkNorm(Kernels k, Arena arena, int[] n) {
        int rows = n[0], dim = n[1];
        boolean withHidden = n[2] == 1;
        Random r = new Random(13L * rows + dim);
        float[] res = uniform(r, rows * dim, -2f, 2f);
        float[] hid = uniform(r, rows * dim, -2f, 2f);
        float[] w = uniform(r, dim, 0.5f, 1.5f);
        float[] out = uniform(r, rows * dim + GUARD, -9f, 9f);
        MemorySegment resWant = seg(arena, res), want = seg(arena, out);
        REF.addRmsNorm(resWant, withHidden ? seg(arena, hid) : null, seg(arena, w), want, rows, dim, 1e-5f);
        Mem mem = Mem.of(k, arena);
        MemorySegment resGot = mem.put(res), hs = withHidden ? mem.put(hid) : null, got = mem.put(out);
        k.addRmsNorm(resGot, hs, mem.put(w), got, rows, dim, 1e-5f);
        assertClose("residual", arr(resWant), mem.get(resGot, res.length), 0, 0); // one fp32 add: exact
        assertClose("out", arr(want), mem.get(got, out.length), 1e-6, 1e-5);
        if (withHidden) {
            assertArrayEquals(hid, mem.get(hs, hid.length), "addRmsNorm modified hidden");
        }
    }

    // ---------------------------------------------------------------------------------------------- im2col, add, copy

    private static void checkIm2col(Kernels k, Arena arena, int[] i) {
        int ch = i[0], h = i[1], w = i[2], patch = i[3], stride = i[4];
        PatchGrid grid = new PatchGrid(ch, h, w, patch, stride);
        Random r = new Random(ch + 7L * h + 31L * w);
        long iOff = 3, oOff = 5;
        float[] img = uniform(r, (int) iOff + ch * h * w + GUARD, -1f, 1f);
        float[] out = uniform(r, (int) oOff + grid.patches() * grid.patchInputs() + GUARD, -9f, 9f);
        MemorySegment want = seg(arena, out);
        REF.im2col(seg(arena, img), iOff, grid, want, oOff);
        Mem mem = Mem.of(k, arena);
        MemorySegment is = mem.put(img), got = mem.put(out);
        k.im2col(is, iOff, grid, got, oOff);
        assertClose("out", arr(want), mem.get(got, out.length), 0, 0);
        assertArrayEquals(img, mem.get(is, img.length), "im2col modified its input");
    }

    private static void checkAddCopy(Kernels k, Arena arena, int n, boolean add) {
        Random r = new Random(n);
        long dOff = 3, sOff = 6;
        float[] dst = uniform(r, (int) dOff + n + GUARD, -9f, 9f);
        float[] src = uniform(r, (int) sOff + n + GUARD, -9f, 9f);
        MemorySegment ss = seg(arena, src), want = seg(arena, dst);
        Mem mem = Mem.of(k, arena);
        MemorySegment gs = mem.put(src), got = mem.put(dst);
        if (add) {
            REF.add(want, dOff, ss, sOff, n);
            k.add(got, dOff, gs, sOff, n);
        } else {
            REF.copy(ss, sOff, want, dOff, n);
            k.copy(gs, sOff, got, dOff, n);
        }
        assertClose("dst", arr(want), mem.get(got, dst.length), 0, 0);
        assertArrayEquals(src, mem.get(gs, src.length), "modified the source");
    }

    // ------------------------------------------------------------------------ vector BF16 / INT8 linear layers
    // (docs/precision.md). INT8 must equal the scalar oracle bit for bit: the int32 sums are exact on both and the
    // epilogue (float) acc * (sa * sw) + bias is evaluated in the same order. BF16 differs only by the order of the
    // fp32 sum, so it gets the fp32 linear's tolerance.

    /** linear cases at BF16 and INT8 on the vector backend, 1 and 2 threads. */
    @TestFactory
    Stream<DynamicNode> vectorQuantizedLinearAgreesWithScalar() {
        List<DynamicNode> nodes = new ArrayList<>();
        if (!Backends.isAvailable(BackendKind.VECTOR)) {
            String reason = "vector unavailable: " + Backends.unavailable().get(BackendKind.VECTOR);
            return Stream.of(dynamicTest("vector (unavailable)", () -> Assumptions.abort(reason)));
        }
        // m, k, n, lda, ldc, aOff, cOff, bias, special rows (1: a zero row, a NaN row and an infinite row)
        int[][] cases = {
            {1, 1, 1, 1, 1, 0, 0, 1, 0}, {5, 7, 3, 7, 3, 0, 0, 1, 0}, {6, 16, 32, 16, 32, 3, 5, 0, 0},
            {7, 33, 65, 40, 70, 1, 2, 1, 0}, {13, 12, 40, 44, 41, 0, 9, 1, 0}, {1, 192, 768, 192, 768, 0, 0, 0, 0},
            {19, 300, 37, 301, 37, 5, 0, 1, 0}, {23, 384, 44, 384, 44, 0, 0, 0, 0}, {37, 48, 96, 50, 100, 11, 13, 1, 1},
            {9, 1100, 20, 1100, 21, 0, 0, 1, 0}, {4, 2100, 17, 2103, 17, 2, 0, 0, 1}, {200, 64, 24, 64, 24, 0, 0, 1, 1},
        };
        for (int threads : new int[] {1, 2}) {
            for (org.vim4j.Precision p : new org.vim4j.Precision[] {org.vim4j.Precision.BF16, org.vim4j.Precision.INT8}) {
                for (int[] g : cases) {
                    for (boolean stored : p == org.vim4j.Precision.INT8 ? new boolean[] {false, true} : new boolean[] {false}) {
                        String name = String.format("vector %s %d thread(s) linear m=%d k=%d n=%d lda=%d ldc=%d aOff=%d "
                                + "cOff=%d bias=%b specialRows=%b%s", p.label(), threads, g[0], g[1], g[2], g[3], g[4],
                                g[5], g[6], g[7] == 1, g[8] == 1, stored ? " (int8 checkpoint weight)" : "");
                        nodes.add(test(BackendKind.VECTOR, threads, name, (k, a) -> checkQuantizedLinear(k, a, g, p, stored)));
                    }
                }
            }
        }
        return nodes.stream();
    }

    /**
     * One linear at {@code p} against the scalar oracle; {@code stored}: the weight comes as I8 + per-row scales (a
     * quantized checkpoint), else as fp32 quantized at prepare time.
     */
    static void checkQuantizedLinear(Kernels k, Arena arena, int[] g, org.vim4j.Precision p, boolean stored) {
        int m = g[0], kk = g[1], n = g[2], lda = g[3], ldc = g[4], aOff = g[5], cOff = g[6];
        Random r = new Random(17L * m + 5L * kk + n);
        float[] w = uniform(r, n * kk, -1, 1);
        float[] bias = g[7] == 1 ? uniform(r, n, -1, 1) : null;
        float[] a = uniform(r, aOff + (m - 1) * lda + kk + GUARD, -3, 3);
        if (g[8] == 1 && m >= 3) {
            // a zero row (amax 0: all-zero int8 row), a NaN and an infinity: both backends must propagate alike
            java.util.Arrays.fill(a, aOff, aOff + kk, 0f);
            a[aOff + lda + kk / 2] = Float.NaN;
            a[aOff + 2 * lda] = Float.POSITIVE_INFINITY;
        }
        float[] c = uniform(r, cOff + (m - 1) * ldc + n + GUARD, -9, 9);
        LinearSource src;
        if (stored) {
            MemorySegment q = arena.allocate((long) n * kk, 64);
            float[] scales = new float[n];
            for (int j = 0; j < n; j++) {
                scales[j] = 0.001f * (1 + r.nextInt(20));
                for (int i = 0; i < kk; i++) {
                    q.set(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) j * kk + i, (byte) (r.nextInt(255) - 127));
                }
            }
            src = new LinearSource(Tensor.wrap("w", DType.I8, q, n, kk), Tensor.copyOf(arena, "w_scale", scales, n),
                    bias == null ? null : Tensor.copyOf(arena, "b", bias, n));
        } else {
            src = LinearSource.of(Tensor.copyOf(arena, "w", w, n, kk), bias == null ? null : Tensor.copyOf(arena, "b", bias, n));
        }
        LinearWeight refW = REF.prepareLinear(src, p, arena);
        LinearWeight gotW = k.prepareLinear(src, p, arena);
        MemorySegment aSeg = seg(arena, a), cWant = seg(arena, c), cGot = seg(arena, c);
        REF.linear(aSeg, aOff, lda, m, refW, cWant, cOff, ldc);
        k.linear(aSeg, aOff, lda, m, gotW, cGot, cOff, ldc);
        if (p == org.vim4j.Precision.INT8) {
            float[] want = arr(cWant), got = arr(cGot);
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                    fail("int8 c[" + i + "] = " + got[i] + ", scalar oracle " + want[i] + " (must be identical)");
                }
            }
        } else {
            // bf16 products are exact; the fp32 sums of K terms of magnitude <= 3 differ only in order. Infinities
            // (the infinite row) must match exactly; assertClose measures them as NaN distances.
            float[] want = arr(cWant), got = arr(cGot);
            for (int i = 0; i < want.length; i++) {
                if (Float.isInfinite(want[i]) && want[i] == got[i]) {
                    got[i] = 0f;
                    want[i] = 0f;
                }
            }
            assertClose("c", want, got, 3e-5 * Math.sqrt(kk), 1e-5);
        }
        assertArrayEquals(a, arr(aSeg), "linear modified its input");
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static float[] uniform(Random r, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * r.nextFloat();
        }
        return v;
    }

    private static MemorySegment seg(Arena arena, float[] v) {
        MemorySegment s = arena.allocate(Math.max(1, v.length) * 4L, 64).asSlice(0, v.length * 4L);
        MemorySegment.copy(v, 0, s, JAVA_FLOAT, 0, v.length);
        return s;
    }

    private static float[] arr(MemorySegment s) {
        return s.toArray(JAVA_FLOAT);
    }

    private static double rms(float[] v) {
        double s = 0;
        for (float f : v) {
            s += (double) f * f;
        }
        return Math.sqrt(s / Math.max(1, v.length));
    }

    /** Every element within {@code atol + rtol * |want|}; reports the first that is not, and the worst error. */
    static void assertClose(String what, float[] want, float[] got, double atol, double rtol) {
        if (want.length != got.length) {
            fail(what + ": length " + got.length + " != " + want.length);
        }
        int bad = -1;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) got[i] - want[i]);
            if (!(d <= atol + rtol * Math.abs(want[i])) && !(Float.isNaN(want[i]) && Float.isNaN(got[i]))
                    && want[i] != got[i]) { // an infinity equal to the expected one has d = NaN
                if (bad < 0) {
                    bad = i;
                }
            }
            if (d > worst) {
                worst = d;
            }
        }
        if (bad >= 0) {
            fail(String.format("%s[%d] = %s, expected %s (atol %.3g, rtol %.3g; worst abs error %.3g)", what, bad,
                    got[bad], want[bad], atol, rtol, worst));
        }
    }
}
