package org.vim4j.backend.scalar;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.Precision;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.Quantization;
import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;

/**
 * The reference backend: plain loops written to read like docs/vim-spec.md, single-threaded, with
 * {@link Math#exp} and double-free fp32 arithmetic. It is the oracle of the conformance suite, so it
 * favours obviousness over speed.
 */
public final class ScalarKernels implements Kernels {

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public MemorySegment allocate(Arena arena, long floats) {
        return arena.allocate(Math.multiplyExact(Math.max(floats, 1), 4L), 64);
    }

    @Override
    public MemorySegment place(MemorySegment host, long floats, Arena arena) {
        return host;
    }

    /**
     * PyTorch's layout, unchanged: W (N, K) row-major as fp32 (FP32), bf16-rounded fp32 (BF16) or int8 with per-row
     * scales (INT8); bias (N) or none.
     */
    record ScalarLinear(MemorySegment w, Quantization.Int8Weight q, MemorySegment bias, int outFeatures, int inFeatures,
            Precision precision) implements LinearWeight {
        @Override
        public boolean hasBias() {
            return bias != null;
        }
    }

    /** Every mode, literally as docs/precision.md defines it: the oracle of the other backends. */
    @Override
    public LinearWeight prepareLinear(LinearSource source, Precision precision, Arena arena) {
        int n = source.outFeatures(), k = source.inFeatures();
        MemorySegment bias = source.bias() == null ? null : source.bias().toF32(arena).data();
        if (precision == Precision.INT8) {
            return new ScalarLinear(null, Quantization.int8(source, n, k, arena), bias, n, k, precision);
        }
        MemorySegment w = arena.allocate(4L * n * k, 64);
        for (int j = 0; j < n; j++) {
            for (int kk = 0; kk < k; kk++) {
                float v = Quantization.dequantized(source, j, k, kk);
                set(w, (long) j * k + kk, precision == Precision.BF16 ? Quantization.roundBf16(v) : v);
            }
        }
        return new ScalarLinear(w, null, bias, n, k, precision);
    }

    @Override
    public void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight lw, MemorySegment c, long cOff, int ldc) {
        ScalarLinear w = (ScalarLinear) lw;
        if (w.precision() == Precision.INT8) {
            linearInt8(a, aOff, lda, m, w, c, cOff, ldc);
            return;
        }
        boolean bf16 = w.precision() == Precision.BF16;
        int n = w.outFeatures(), k = w.inFeatures();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = w.bias() == null ? 0f : get(w.bias(), j);
                for (int kk = 0; kk < k; kk++) {
                    float x = get(a, aOff + (long) i * lda + kk);
                    acc += (bf16 ? Quantization.roundBf16(x) : x) * get(w.w(), (long) j * k + kk);
                }
                set(c, cOff + (long) i * ldc + j, acc);
            }
        }
    }

    /** Per-token int8 activations, an exact int32 dot product, then {@code (float) acc * (sa * sw) + bias}. */
    private static void linearInt8(MemorySegment a, long aOff, int lda, int m, ScalarLinear w, MemorySegment c, long cOff,
            int ldc) {
        int n = w.outFeatures(), k = w.inFeatures();
        Quantization.Int8Weight q = w.q();
        for (int i = 0; i < m; i++) {
            long row = aOff + (long) i * lda;
            float amax = 0f;
            for (int kk = 0; kk < k; kk++) {
                amax = Math.max(amax, Math.abs(get(a, row + kk)));
            }
            float inv = Quantization.inverseScale(amax), sa = Quantization.scale(amax);
            for (int j = 0; j < n; j++) {
                int acc = 0;
                for (int kk = 0; kk < k; kk++) {
                    acc += Quantization.quantize(get(a, row + kk), inv) * q.get(j, kk);
                }
                float v = (float) acc * (sa * q.scale(j));
                set(c, cOff + (long) i * ldc + j, w.bias() == null ? v : v + get(w.bias(), j));
            }
        }
    }

    @Override
    public void addRmsNorm(MemorySegment residual, MemorySegment hidden, MemorySegment weight, MemorySegment out, int rows,
            int dim, float eps) {
        for (int r = 0; r < rows; r++) {
            long row = (long) r * dim;
            float sumSq = 0f;
            for (int i = 0; i < dim; i++) {
                float v = get(residual, row + i);
                if (hidden != null) {
                    v += get(hidden, row + i);
                    set(residual, row + i, v);
                }
                sumSq += v * v;
            }
            float inv = (float) (1.0 / Math.sqrt(sumSq / dim + eps));
            for (int i = 0; i < dim; i++) {
                set(out, row + i, get(residual, row + i) * inv * get(weight, i));
            }
        }
    }

    @Override
    public void convSilu(Rows x, ConvWeights w, Rows out, int batch, int len, boolean reverse) {
        int channels = w.channels(), kernel = w.kernel();
        for (int b = 0; b < batch; b++) {
            long seq = (long) b * len;
            for (int t = 0; t < len; t++) {
                for (int e = 0; e < channels; e++) {
                    float acc = get(w.bias(), e);
                    for (int k = 0; k < kernel; k++) {
                        // Tap k looks (kernel-1-k) steps back in scan order; in reverse order "back" is t + ...
                        int src = reverse ? t + (kernel - 1 - k) : t - (kernel - 1 - k);
                        if (src >= 0 && src < len) {
                            acc += get(w.weight(), (long) e * kernel + k) * get(x.data(), x.index(seq + src, e));
                        }
                    }
                    set(out.data(), out.index(seq + t, e), silu(acc));
                }
            }
        }
    }

    @Override
    public void selectiveScan(ScanInputs in, ScanWeights w, Rows out, int batch, int len, ScanMode mode) {
        int channels = w.channels(), states = w.states();
        float[] h = new float[states];
        for (int b = 0; b < batch; b++) {
            long seq = (long) b * len;
            for (int e = 0; e < channels; e++) {
                java.util.Arrays.fill(h, 0f);
                for (int step = 0; step < len; step++) {
                    long t = seq + (mode.reverse() ? len - 1 - step : step);
                    float uu = get(in.u().data(), in.u().index(t, e));
                    float dt = softplus(get(in.delta().data(), in.delta().index(t, e)) + get(w.deltaBias(), e));
                    float y = get(w.dSkip(), e) * uu;
                    for (int n = 0; n < states; n++) {
                        float dA = (float) Math.exp(dt * get(w.aT(), (long) n * channels + e));
                        h[n] = dA * h[n] + dt * get(in.b().data(), in.b().index(t, n)) * uu;
                        y += get(in.c().data(), in.c().index(t, n)) * h[n];
                    }
                    float gated = mode.outScale() * y * silu(get(in.z().data(), in.z().index(t, e)));
                    long o = out.index(t, e);
                    set(out.data(), o, mode.accumulate() ? get(out.data(), o) + gated : gated);
                }
            }
        }
    }

    @Override
    public void im2col(MemorySegment image, long iOff, PatchGrid g, MemorySegment out, long oOff) {
        int gh = g.gh(), gw = g.gw(), patch = g.patch(), stride = g.stride(), height = g.height(), width = g.width();
        long cols = g.patchInputs();
        for (int py = 0; py < gh; py++) {
            for (int px = 0; px < gw; px++) {
                long row = oOff + ((long) py * gw + px) * cols;
                for (int c = 0; c < g.channels(); c++) {
                    for (int ky = 0; ky < patch; ky++) {
                        for (int kx = 0; kx < patch; kx++) {
                            long src = iOff + ((long) c * height + py * stride + ky) * width + px * stride + kx;
                            set(out, row + ((long) c * patch + ky) * patch + kx, get(image, src));
                        }
                    }
                }
            }
        }
    }

    @Override
    public void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        for (long i = 0; i < n; i++) {
            set(dst, dOff + i, get(dst, dOff + i) + get(src, sOff + i));
        }
    }

    @Override
    public void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n) {
        MemorySegment.copy(src, JAVA_FLOAT, sOff * 4, dst, JAVA_FLOAT, dOff * 4, n);
    }

    /** softplus(v) = log(1 + e^v), and v itself above 20 as in Mamba's kernel. */
    static float softplus(float v) {
        return v > 20f ? v : (float) Math.log1p(Math.exp(v));
    }

    static float silu(float v) {
        return (float) (v / (1.0 + Math.exp(-v)));
    }

    private static float get(MemorySegment s, long i) {
        return s.getAtIndex(JAVA_FLOAT, i);
    }

    private static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(JAVA_FLOAT, i, v);
    }
}
