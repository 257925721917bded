package org.vim4j;

/**
 * How to load and run a model. Immutable; start from {@link #defaults()} and use the {@code with} methods.
 *
 * @param backend   kernels to use; null = {@code -Dvim4j.backend}, else the fastest available
 * @param threads   kernel threads for this model; 0 = {@code -Dvim4j.threads}, else all processors; 1 = caller only
 * @param entry     which state dict of a training checkpoint: "model" (default) or "model_ema"
 * @param imageSize the checkpoint's training resolution, when its shapes and metadata cannot tell (rare)
 * @param stride    the checkpoint's patch stride, likewise
 * @param precision arithmetic of the linear projections (docs/precision.md); null = {@code -Dvim4j.precision}, else the
 *                  backend's default (FP32; CUDA: BF16 under {@code -Dvim4j.cuda.precision=bf16}). A precision the
 *                  backend cannot run fails the load with a {@link VimException} naming both.
 * @param warmUp    what the load runs so that the first inferences do not pay one-time costs; null =
 *                  {@code -Dvim4j.warmup}, else {@link WarmUp#QUICK}. A service: {@link WarmUp#STEADY}.
 */
public record VimOptions(BackendKind backend, int threads, String entry, Integer imageSize, Integer stride,
        Precision precision, WarmUp warmUp) {

    /** The system property naming the default precision: fp32, bf16 or int8. */
    public static final String PRECISION_PROPERTY = "vim4j.precision";

    public VimOptions {
        if (threads < 0 || threads > maxThreads()) {
            throw new VimException("threads must be 0 (the default) to " + maxThreads() + " (4 x the " + processors()
                    + " processors here), got " + threads);
        }
        if (entry == null || entry.isBlank()) {
            entry = "model";
        }
    }

    /** The most kernel threads a model may ask for: a small multiple of the processors, beyond which only waits grow. */
    public static int maxThreads() {
        return 4 * processors();
    }

    private static int processors() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Options with the default precision and warm-up. */
    public VimOptions(BackendKind backend, int threads, String entry, Integer imageSize, Integer stride) {
        this(backend, threads, entry, imageSize, stride, null, null);
    }

    /** Options with the default warm-up. */
    public VimOptions(BackendKind backend, int threads, String entry, Integer imageSize, Integer stride,
            Precision precision) {
        this(backend, threads, entry, imageSize, stride, precision, null);
    }

    public static VimOptions defaults() {
        return new VimOptions(null, 0, "model", null, null, null, null);
    }

    public VimOptions withBackend(BackendKind b) {
        return new VimOptions(b, threads, entry, imageSize, stride, precision, warmUp);
    }

    public VimOptions withThreads(int t) {
        return new VimOptions(backend, t, entry, imageSize, stride, precision, warmUp);
    }

    public VimOptions withEntry(String e) {
        return new VimOptions(backend, threads, e, imageSize, stride, precision, warmUp);
    }

    public VimOptions withImageSize(Integer size) {
        return new VimOptions(backend, threads, entry, size, stride, precision, warmUp);
    }

    public VimOptions withStride(Integer s) {
        return new VimOptions(backend, threads, entry, imageSize, s, precision, warmUp);
    }

    public VimOptions withPrecision(Precision p) {
        return new VimOptions(backend, threads, entry, imageSize, stride, p, warmUp);
    }

    public VimOptions withWarmUp(WarmUp w) {
        return new VimOptions(backend, threads, entry, imageSize, stride, precision, w);
    }

    /** The warm-up to run: this option's, else {@code -Dvim4j.warmup}, else {@link WarmUp#QUICK}. */
    public WarmUp resolvedWarmUp() {
        if (warmUp != null) {
            return warmUp;
        }
        String property = System.getProperty(WarmUp.PROPERTY);
        if (property == null || property.isBlank()) {
            return WarmUp.QUICK;
        }
        try {
            return WarmUp.parse(property);
        } catch (VimException e) {
            throw new VimException("-D" + WarmUp.PROPERTY + ": " + e.getMessage());
        }
    }
}
