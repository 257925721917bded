package org.vim4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.tensor.Tensor;

/**
 * The compute primitives of a Vim forward pass. Every backend (scalar reference, Vector API, native,
 * CUDA) implements all of them; the conformance suite checks each against {@code ScalarKernels}.
 *
 * <p>Conventions. All data is fp32. Buffers are {@link MemorySegment}s with offsets and leading
 * dimensions counted in floats, not bytes. Activations are token-major: a sequence of {@code len}
 * tokens with {@code channels} features is {@code len} rows, row stride {@code ld >= channels}; a batch
 * of sequences is stored back to back ({@code len} rows per image). Kernels never allocate on the heap
 * and never copy flipped tensors: the reverse scan direction reads index {@code len-1-t}.
 *
 * <p>Implementations are thread-safe: one instance serves every session of a model, each call using
 * only the buffers it is given.
 */
public interface Kernels {

    /** Which backend this is, for logs and benchmarks. */
    BackendKind kind();

    /** Threads the kernels use (1 = the caller's thread only). */
    int threads();

    /**
     * Places a linear layer's weight {@code (N, K)} and optional bias {@code (N)} for this backend's GEMM.
     * Any copy is allocated in {@code arena} (the model's), so it lives as long as the model.
     */
    LinearWeight prepareLinear(Tensor weight, Tensor bias, Arena arena);

    /**
     * {@code c[i, j] = bias[j] + sum_k a[i, k] * W[j, k]} for {@code i < m}, {@code j < N}, {@code k < K}:
     * PyTorch's {@code F.linear}. Row {@code i} of a starts at {@code aOff + i*lda}, of c at {@code cOff + i*ldc}.
     */
    void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight w, MemorySegment c, long cOff, int ldc);

    /**
     * Fused residual add and RMSNorm over {@code rows} contiguous rows of {@code dim} floats:
     * if {@code hidden != null}, {@code residual += hidden} (in place, fp32); then
     * {@code out = residual / sqrt(mean(residual^2) + eps) * weight}.
     */
    void addRmsNorm(MemorySegment residual, long rOff, MemorySegment hidden, long hOff, MemorySegment weight,
            MemorySegment out, long oOff, int rows, int dim, float eps);

    /**
     * Depthwise causal conv1d + bias + SiLU along the sequence, for {@code batch} sequences of {@code len}
     * tokens: {@code out[t, e] = silu(bias[e] + sum_{k<K} w[e*K + k] * x[t - (K-1) + k, e])}, zero padded.
     * With {@code reverse} the sequence is read in reverse order (causal in the flipped order, i.e.
     * {@code x[t + (K-1) - k]}), and the result is still stored at the original index t.
     */
    void convSilu(MemorySegment x, long xOff, int ldx, MemorySegment w, MemorySegment bias,
            MemorySegment out, long oOff, int ldo, int batch, int len, int channels, int kernel, boolean reverse);

    /**
     * The fused selective scan of one Mamba branch, for {@code batch} sequences (see vim-spec.md §2.2):
     * <pre>
     * dt   = softplus(delta[t, e] + deltaBias[e])           (threshold 20)
     * h_n  = exp(dt * aT[n, e]) * h_n + dt * B[t, n] * u[t, e]
     * y    = sum_n C[t, n] * h_n + dSkip[e] * u[t, e]
     * out[t, e] = (accumulate ? out[t, e] : 0) + outScale * y * silu(z[t, e])
     * </pre>
     * {@code aT} is {@code -exp(A_log)} transposed to {@code (states, channels)}. B and C are read from one
     * buffer (Mamba's x_dbl): {@code B[t, n] = bc[bOff + t*ldbc + n]}, {@code C[t, n] = bc[cOff + t*ldbc + n]}.
     * t runs {@code 0..len-1}, or {@code len-1..0} with {@code reverse}; the state starts at zero per sequence.
     */
    void selectiveScan(MemorySegment u, long uOff, int ldu, MemorySegment delta, long dOff, int ldd,
            MemorySegment aT, MemorySegment bc, long bOff, long cOff, int ldbc, MemorySegment dSkip,
            MemorySegment deltaBias, MemorySegment z, long zOff, int ldz, MemorySegment out, long oOff, int ldo,
            int batch, int len, int channels, int states, boolean reverse, float outScale, boolean accumulate);

    /**
     * Patch extraction for a strided {@code patch x patch} Conv2d (im2col) of one CHW image:
     * row {@code p = py*gw + px} (row-major over the patch grid), column {@code (c*patch + ky)*patch + kx},
     * value {@code image[c, py*stride + ky, px*stride + kx]}. The patch embedding is this followed by
     * {@link #linear} with the conv weight viewed as {@code (D, C*patch*patch)}.
     */
    void im2col(MemorySegment image, long iOff, int channels, int height, int width, int patch, int stride,
            MemorySegment out, long oOff);

    /** {@code dst[dOff + i] += src[sOff + i]} for {@code i < n}. */
    void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n);

    /** {@code dst[dOff + i] = src[sOff + i]} for {@code i < n}. */
    void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n);
}
