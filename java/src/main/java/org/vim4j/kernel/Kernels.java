package org.vim4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.Precision;
import org.vim4j.tensor.Tensor;

/**
 * The kernel contract of a Vim forward pass: what the one forward loop ({@code model.VimForward}) asks of a backend.
 * Every backend (scalar reference, Vector API, native through FFM, CUDA) implements it; the conformance suite checks
 * each primitive against the scalar reference.
 *
 * <p>Memory. A backend decides where activations and weights live: {@link #allocate} gives activation memory (host
 * memory, or device memory behind an address-only segment), {@link #place} and {@link #prepareLinear} place weights.
 * Kernels only ever receive segments from those, plus host inputs handed through {@link Execution#input}.
 *
 * <p>Conventions. All data is fp32; offsets and leading dimensions count floats. Activations are token-major: a
 * sequence of {@code len} tokens with {@code channels} features is {@code len} rows, a batch is stored back to back.
 * Kernels never allocate on the heap and never copy flipped tensors: the reverse direction reads index {@code len-1-t}
 * (docs/vim-spec.md §2.1). No method takes more than eight arguments: what belongs together travels as a record.
 *
 * <p>Operations come at two levels: primitives, and whole-layer operations ({@link #embedPatches}, {@link #mixer})
 * whose defaults compose the primitives and which native and CUDA backends override with fused kernels.
 *
 * <p>Thread-safety: one instance serves every session of a model; calls use only the buffers they are given.
 * Closing releases the backend's threads or device context.
 */
public interface Kernels extends AutoCloseable {

    /** Threads the kernels of this model use (1 = the caller's thread only). */
    int threads();

    // -------------------------------------------------------------------------------------------------------------
    // Memory
    // -------------------------------------------------------------------------------------------------------------

    /** Activation memory for {@code floats} floats, owned by {@code arena}; contents undefined. */
    MemorySegment allocate(Arena arena, long floats);

    /** Weight vector {@code host[0, floats)} in this backend's memory (host backends return {@code host} itself). */
    MemorySegment place(MemorySegment host, long floats, Arena arena);

    /**
     * Places a linear layer's weight {@code (N, K)} and optional bias {@code (N)} for this backend's GEMM at
     * {@code precision} (docs/precision.md): the backend converts or quantizes the source as the mode needs. Any copy
     * lives in {@code arena} (the model's). A precision the backend cannot run is a {@link org.vim4j.VimException} naming both.
     */
    LinearWeight prepareLinear(LinearSource source, Precision precision, Arena arena);

    /**
     * The precision a model runs at on this backend when its options name none and {@code -Dvim4j.precision} is unset:
     * FP32, except where a backend's own property asks for another (CUDA's {@code -Dvim4j.cuda.precision=bf16}).
     */
    default Precision defaultPrecision() {
        return Precision.FP32;
    }

    /**
     * Whether a model should run one tiny forward when it is loaded: for a backend whose first call of each kernel
     * costs far more than its later calls for reasons a warm-up pays once (the native backend: linking each FFM
     * downcall, its first thread dispatch), so that a new JVM's first inferences run near steady state. False where a
     * warm-up would not reach steady state anyway (the vector backend waits for C2) or is untested (CUDA).
     */
    default boolean warmsUpAtLoad() {
        return false;
    }

    /** An fp32 linear layer: {@code prepareLinear(LinearSource.of(weight, bias), Precision.FP32, arena)}. */
    default LinearWeight prepareLinear(Tensor weight, Tensor bias, Arena arena) {
        return prepareLinear(LinearSource.of(weight, bias), Precision.FP32, arena);
    }

    /** The prepared form of a mixer's weights for a fused mixer (the default: as they are). */
    default MixerWeights prepareMixer(MixerWeights w, Arena arena) {
        return w;
    }

    /** The prepared form of a workspace's mixer buffers for a fused mixer (the default: as they are). */
    default MixerBuffers prepareBuffers(MixerBuffers b, Arena arena) {
        return b;
    }

    /**
     * A session's execution context, freed with {@code arena}: {@link Execution#HOST} for host backends; a device queue
     * with an input buffer of {@code maxInputFloats} for device backends.
     */
    default Execution newExecution(Arena arena, long maxInputFloats) {
        return Execution.HOST;
    }

    /** How many images {@link #embedPatches} unfolds at once, so the workspace holds that many images' patches. */
    default int patchImagesAtOnce(int maxBatch) {
        return 1;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Primitives
    // -------------------------------------------------------------------------------------------------------------

    /**
     * {@code c[i, j] = bias[j] + sum_k a[i, k] * W[j, k]} for {@code i < m}, {@code j < N}, {@code k < K}:
     * PyTorch's {@code F.linear}. Row {@code i} of a starts at {@code aOff + i*lda}, of c at {@code cOff + i*ldc}.
     */
    void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight w, MemorySegment c, long cOff, int ldc);

    /**
     * Fused residual add and RMSNorm over {@code rows} contiguous rows of {@code dim} floats: if {@code hidden} is not
     * null, {@code residual += hidden} (in place, fp32); then {@code out = residual / sqrt(mean(residual^2) + eps) * weight}.
     */
    void addRmsNorm(MemorySegment residual, MemorySegment hidden, MemorySegment weight, MemorySegment out, int rows,
            int dim, float eps);

    /**
     * Depthwise causal conv1d + bias + SiLU along the sequence, for {@code batch} sequences of {@code len} tokens:
     * {@code out[t, e] = silu(bias[e] + sum_{k<K} w[e, k] * x[t - (K-1) + k, e])}, zero padded. With {@code reverse} the
     * sequence is read in reverse order ({@code x[t + (K-1) - k]}) and the result is still stored at index t.
     */
    void convSilu(Rows x, ConvWeights w, Rows out, int batch, int len, boolean reverse);

    /**
     * The fused selective scan of one Mamba branch for {@code batch} sequences (docs/vim-spec.md §2.2):
     * <pre>
     * dt   = softplus(delta[t, e] + deltaBias[e])           (threshold 20)
     * h_n  = exp(dt * aT[n, e]) * h_n + dt * B[t, n] * u[t, e]
     * y    = sum_n C[t, n] * h_n + dSkip[e] * u[t, e]
     * out[t, e] = (accumulate ? out[t, e] : 0) + outScale * y * silu(z[t, e])
     * </pre>
     * The state starts at zero per sequence; {@code mode} says the direction and the output rule.
     */
    void selectiveScan(ScanInputs in, ScanWeights w, Rows out, int batch, int len, ScanMode mode);

    /**
     * Patch extraction (im2col) of one CHW image at float {@code iOff} of {@code image}: row {@code p = py*gw + px},
     * column {@code (c*patch + ky)*patch + kx}, value {@code image[c, py*stride + ky, px*stride + kx]}.
     */
    void im2col(MemorySegment image, long iOff, PatchGrid grid, MemorySegment out, long oOff);

    /** {@code dst[dOff + i] += src[sOff + i]} for {@code i < n}. */
    void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n);

    /** {@code dst[dOff + i] = src[sOff + i]} for {@code i < n}, both in this backend's memory. */
    void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n);

    // -------------------------------------------------------------------------------------------------------------
    // Whole-layer operations: composed from the primitives unless a backend fuses them
    // -------------------------------------------------------------------------------------------------------------

    /**
     * The token sequences of {@code batch} images (docs/vim-spec.md §1): patch embedding, the class token spliced in at
     * {@code M/2}, plus {@code posEmbed (L, D)}; written to {@code tokens (batch*L, D)}. {@code patches} is scratch of
     * {@link #patchImagesAtOnce} images' {@code (M, C*p*p)} patches.
     */
    default void embedPatches(PatchEmbedding w, MemorySegment images, PatchGrid grid, int batch, MemorySegment posEmbed,
            MemorySegment patches, MemorySegment tokens) {
        int d = w.proj().outFeatures(), m = grid.patches(), cls = grid.cls(), cpp = grid.patchInputs();
        long seqFloats = (long) grid.tokens() * d;
        for (int b = 0; b < batch; b++) {
            long seq = b * seqFloats;
            im2col(images, b * grid.imageFloats(), grid, patches, 0);
            linear(patches, 0, cpp, cls, w.proj(), tokens, seq, d);
            linear(patches, (long) cls * cpp, cpp, m - cls, w.proj(), tokens, seq + (long) (cls + 1) * d, d);
            copy(w.clsToken(), 0, tokens, seq + (long) cls * d, d);
            add(tokens, seq, posEmbed, 0, seqFloats);
        }
    }

    /**
     * One bimamba-v2 mixer layer (docs/vim-spec.md §2.1): {@code hidden = out_proj((S_f + flip(S_b(flip))) / 2)} of
     * {@code normed}, for {@code batch} sequences of {@code len} tokens. A fused override must compose the primitives
     * (call this default) whenever {@code probe} is not null.
     */
    default void mixer(MixerWeights w, MixerBuffers b, int batch, int len, MixerProbe probe) {
        int rows = batch * len, d = w.dModel(), e = w.dInner();
        linear(b.normed(), 0, d, rows, w.inProj(), b.xz(), 0, 2 * e);
        branch(w.forward(), b, batch, len, ScanMode.FORWARD_HALF);
        if (probe != null) {
            probe.observe(Stage.CONV_FORWARD, b.forward().xc(), rows, e);
            probe.observe(Stage.Y_AFTER_FORWARD, b.y().data(), rows, e);
        }
        branch(w.backward(), b, batch, len, ScanMode.BACKWARD_HALF);
        if (probe != null) {
            probe.observe(Stage.CONV_BACKWARD, b.backward().xc(), rows, e);
            probe.observe(Stage.Y_AFTER_BACKWARD, b.y().data(), rows, e);
        }
        linear(b.y().data(), 0, e, rows, w.outProj(), b.hidden(), 0, d);
        if (probe != null) {
            probe.observe(Stage.MIXER, b.hidden(), rows, d);
        }
    }

    /** One direction of {@link #mixer}: conv1d + SiLU, x_proj, dt_proj, then the scan adding half its output into y. */
    private void branch(BranchWeights w, MixerBuffers b, int batch, int len, ScanMode mode) {
        int rows = batch * len, e = w.conv().channels(), xdbl = w.xProj().outFeatures();
        BranchBuffers br = b.branch(mode.reverse());
        convSilu(br.x(), w.conv(), br.conv(), batch, len, mode.reverse());
        linear(br.xc(), 0, e, rows, w.xProj(), br.xDbl(), 0, xdbl);
        linear(br.xDbl(), 0, xdbl, rows, w.dtProj(), b.delta(), 0, e);
        selectiveScan(br.scan(), w.scan(), b.y(), batch, len, mode);
    }

    /** Releases the backend's threads or device context (the default: nothing to release). */
    @Override
    default void close() {
    }
}
