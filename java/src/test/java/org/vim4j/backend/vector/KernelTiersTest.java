package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vim4j.Precision;
import org.vim4j.VimException;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;
import org.vim4j.tensor.Tensor;

/**
 * The plain-Java tier computes the SIMD kernels' bits exactly ({@link KernelTier}): every op on random shapes, with
 * channel tails, offsets, padded rows, both scan directions, accumulation, several chunks and batches, on 1 and 2
 * threads, compared bit for bit (the whole buffer, so writes outside the region count too). The suite's
 * conformance runs at 128, 256 and 512 bits cover every lane count of the twins; the whole model on both tiers is
 * {@code org.vim4j.reliability.KernelTierChoiceTest}.
 */
class KernelTiersTest {
    private static final int CASES = 12;

    /** Runs {@code op} on a SIMD and a PLAIN instance over identical copies of {@code buffers}; all must match bitwise. */
    private static void sameBits(int threads, float[][] buffers, OpOnBoth op) {
        try (VectorKernels simd = new VectorKernels(threads, KernelTier.SIMD);
                VectorKernels plain = new VectorKernels(threads, KernelTier.PLAIN);
                Arena arena = Arena.ofShared()) {
            MemorySegment[] a = new MemorySegment[buffers.length], b = new MemorySegment[buffers.length];
            for (int i = 0; i < buffers.length; i++) {
                a[i] = seg(arena, buffers[i]);
                b[i] = seg(arena, buffers[i]);
            }
            op.run(simd, a, arena);
            op.run(plain, b, arena);
            for (int i = 0; i < buffers.length; i++) {
                float[] x = a[i].toArray(JAVA_FLOAT), y = b[i].toArray(JAVA_FLOAT);
                for (int j = 0; j < x.length; j++) {
                    if (Float.floatToRawIntBits(x[j]) != Float.floatToRawIntBits(y[j])) {
                        fail("buffer " + i + " element " + j + ": simd " + x[j] + ", plain " + y[j]);
                    }
                }
            }
        }
    }

    @FunctionalInterface
    private interface OpOnBoth {
        void run(VectorKernels k, MemorySegment[] buffers, Arena arena);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void linearMatchesBitForBit(int threads) {
        for (Precision p : Precision.values()) {
            linearAt(threads, p);
        }
    }

    private static void linearAt(int threads, Precision precision) {
        Random r = new Random(1);
        // K = 1100: the INT8 kernels' long-K path (int32 sums of fp32 chunks)
        int[][] fixed = {{197, 192, 768}, {197, 384, 44}, {197, 12, 384}, {1, 192, 1000}, {13, 300, 37}, {25, 5, 1},
            {9, 1100, 40}};
        for (int c = 0; c < CASES + fixed.length; c++) {
            int m = c < fixed.length ? fixed[c][0] : 1 + r.nextInt(40);
            int k = c < fixed.length ? fixed[c][1] : 1 + r.nextInt(600);
            int n = c < fixed.length ? fixed[c][2] : 1 + r.nextInt(130);
            int lda = k + r.nextInt(3), ldc = n + r.nextInt(3), aOff = r.nextInt(4), cOff = r.nextInt(4);
            boolean bias = r.nextBoolean() || c == 0;
            float[] w = uniform(r, n * k, -1, 1), bv = uniform(r, n, -1, 1);
            float[] a = uniform(r, aOff + m * lda + 3, -2, 2), out = uniform(r, cOff + m * ldc + 3, -9, 9);
            if (c == fixed.length) { // a zero row, a huge one, an infinity and a NaN: quantization's edge cases
                java.util.Arrays.fill(a, aOff, aOff + k, 0f);
                if (m > 1) {
                    a[aOff + lda] = 3e38f;
                }
                if (m > 2) {
                    a[aOff + 2 * lda] = Float.POSITIVE_INFINITY;
                }
                if (m > 3) {
                    a[aOff + 3 * lda + k - 1] = Float.NaN;
                }
            }
            sameBits(threads, new float[][] {a, out}, (kern, s, arena) -> {
                LinearWeight lw = kern.prepareLinear(LinearSource.of(tensor(arena, "w", w, n, k),
                        bias ? tensor(arena, "b", bv, n) : null), precision, arena);
                kern.linear(s[0], aOff, lda, m, lw, s[1], cOff, ldc);
            });
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void scanMatchesBitForBit(int threads) {
        Random r = new Random(2);
        for (int c = 0; c < CASES; c++) {
            int batch = 1 + r.nextInt(2), len = c == 0 ? 197 : 1 + r.nextInt(150), e = c == 0 ? 384 : 1 + r.nextInt(70);
            int ns = c == 0 ? 16 : 1 + r.nextInt(16), pad = r.nextInt(3);
            boolean reverse = r.nextBoolean(), accumulate = r.nextBoolean();
            float scale = r.nextBoolean() ? 1f : 0.5f;
            int rows = batch * len, ldu = e + pad, ldd = e + 2 * pad, ldz = 2 * e + pad, ldo = e + pad;
            int ldbc = 3 + 2 * ns + pad, bOff = 3, cOff = 3 + ns;
            float[] u = uniform(r, 1 + rows * ldu, -0.5f, 2f), delta = uniform(r, 1 + rows * ldd, c % 3 == 0 ? -30 : -5, c % 3 == 0 ? 30 : 1.5f);
            float[] aT = new float[ns * e];
            for (int i = 0; i < aT.length; i++) {
                aT[i] = (float) -Math.exp(-1 + 3.8 * r.nextDouble());
            }
            float[] bc = uniform(r, rows * ldbc, -1.5f, 1.5f), dSkip = uniform(r, e, 0.5f, 1.5f), dBias = uniform(r, e, -4, 0);
            float[] z = uniform(r, 2 + rows * ldz, -6, 6), out = uniform(r, 1 + rows * ldo, -3, 3);
            ScanMode mode = new ScanMode(reverse, scale, accumulate);
            sameBits(threads, new float[][] {u, delta, aT, bc, dSkip, dBias, z, out}, (kern, s, arena) -> kern.selectiveScan(
                    new ScanInputs(new Rows(s[0], 1, ldu), new Rows(s[1], 1, ldd), new Rows(s[3], bOff, ldbc),
                            new Rows(s[3], cOff, ldbc), new Rows(s[6], 2, ldz)),
                    new ScanWeights(s[2], s[4], s[5], e, ns), new Rows(s[7], 1, ldo), batch, len, mode));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void convMatchesBitForBit(int threads) {
        Random r = new Random(3);
        for (int c = 0; c < CASES; c++) {
            int batch = 1 + r.nextInt(2), len = 1 + r.nextInt(80), e = c == 0 ? 384 : 1 + r.nextInt(70);
            int kernel = 1 + r.nextInt(5), pad = r.nextInt(3);
            boolean reverse = r.nextBoolean();
            int ldx = 2 * e + pad, ldo = e + pad;
            float[] x = uniform(r, 2 + batch * len * ldx, -3, 3), w = uniform(r, e * kernel, -1, 1), b = uniform(r, e, -1, 1);
            float[] out = uniform(r, 1 + batch * len * ldo, -9, 9);
            sameBits(threads, new float[][] {x, w, b, out}, (kern, s, arena) -> kern.convSilu(new Rows(s[0], 2, ldx),
                    new ConvWeights(s[1], s[2], e, kernel), new Rows(s[3], 1, ldo), batch, len, reverse));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void normMatchesBitForBit(int threads) {
        Random r = new Random(4);
        for (int c = 0; c < CASES; c++) {
            int rows = 1 + r.nextInt(c == 0 ? 200 : 30), dim = c == 0 ? 192 : 1 + r.nextInt(100);
            boolean hidden = r.nextBoolean() || c == 0;
            float[] res = uniform(r, rows * dim, -2, 2), hid = uniform(r, rows * dim, -2, 2), w = uniform(r, dim, 0.5f, 1.5f);
            float[] out = uniform(r, rows * dim + 3, -9, 9);
            sameBits(threads, new float[][] {res, hid, w, out},
                    (kern, s, arena) -> kern.addRmsNorm(s[0], hidden ? s[1] : null, s[2], s[3], rows, dim, 1e-5f));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void im2colAndAddMatchBitForBit(int threads) {
        Random r = new Random(5);
        for (int c = 0; c < CASES; c++) {
            int ch = 1 + r.nextInt(3), patch = 1 + r.nextInt(17), stride = 1 + r.nextInt(patch);
            int h = patch + r.nextInt(30), w = patch + r.nextInt(30);
            PatchGrid grid = new PatchGrid(ch, h, w, patch, stride);
            float[] img = uniform(r, 3 + ch * h * w, -1, 1), out = uniform(r, 2 + grid.patches() * grid.patchInputs(), -9, 9);
            sameBits(threads, new float[][] {img, out}, (kern, s, arena) -> kern.im2col(s[0], 3, grid, s[1], 2));
            int n = c == 0 ? 70_000 : r.nextInt(5000);
            float[] dst = uniform(r, n + 4, -1, 1), src = uniform(r, n + 4, -1, 1);
            sameBits(threads, new float[][] {dst, src}, (kern, s, arena) -> kern.add(s[0], 1, s[1], 3, n));
        }
    }

    @Test
    void laneTwinsMatchTheVectorMath() {
        // The twins of exp2, SiLU and softplus, lane by lane against the vector versions over a wide range.
        Random r = new Random(6);
        int lanes = VectorLanes.LANES;
        float[] x = new float[lanes * 4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = i < 16 ? new float[] {0f, -0f, 1e-30f, -1e-30f, 200f, -200f, 20f, -20f, 88f, -88f, 0.5f, -0.5f,
                    Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f}[i] : (float) ((r.nextDouble() * 2 - 1) * Math.pow(10, r.nextInt(5) - 2));
        }
        for (int i = 0; i < x.length; i += lanes) {
            var v = jdk.incubator.vector.FloatVector.fromArray(VectorLanes.F, x, i);
            float[] s = VectorMath.silu(v).toArray(), p = VectorMath.softplus(v).toArray(), e = VectorMath.exp2(v).toArray();
            for (int j = 0; j < lanes; j++) {
                float xi = x[i + j];
                assertEquals(Float.floatToRawIntBits(s[j]), Float.floatToRawIntBits(VectorMath.siluLane(xi)), "silu " + xi);
                assertEquals(Float.floatToRawIntBits(p[j]), Float.floatToRawIntBits(VectorMath.softplusLane(xi)), "softplus " + xi);
                assertEquals(Float.floatToRawIntBits(e[j]), Float.floatToRawIntBits(VectorMath.exp2(xi)), "exp2 " + xi);
            }
        }
    }

    @Test
    void tierPropertyParsesAndRejectsNonsense() {
        assertEquals(KernelTier.SIMD, KernelTier.parse("simd"));
        assertEquals(KernelTier.PLAIN, KernelTier.parse(" PLAIN "));
        // This JVM runs the default tiers (C2 present), so auto is SIMD; a C1-only JVM is KernelTierChoiceTest's.
        assertTrue(KernelTier.jitCompilesVectors(), "the test JVM should have C2");
        assertEquals(KernelTier.SIMD, KernelTier.parse("auto"));
        VimException e = assertThrows(VimException.class, () -> KernelTier.parse("fast"));
        assertTrue(e.getMessage().contains("-D" + KernelTier.PROPERTY + "=fast") && e.getMessage().contains("auto, simd or plain"),
                e.getMessage());
    }

    private static Tensor tensor(Arena arena, String name, float[] v, long... shape) {
        return Tensor.copyOf(arena, name, v, shape);
    }

    private static float[] uniform(Random r, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * r.nextFloat();
        }
        return v;
    }

    private static MemorySegment seg(Arena arena, float[] v) {
        MemorySegment s = arena.allocate((long) Math.max(1, v.length) * Float.BYTES, 64);
        MemorySegment.copy(v, 0, s, JAVA_FLOAT, 0, v.length);
        return s;
    }
}
