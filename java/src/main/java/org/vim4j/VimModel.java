package org.vim4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.vim4j.io.checkpoint.CheckpointReader;
import org.vim4j.io.StateDict;
import org.vim4j.backend.Backends;
import org.vim4j.kernel.Kernels;
import org.vim4j.model.RandomWeights;
import org.vim4j.model.SteadyState;
import org.vim4j.model.VimConfigInference;
import org.vim4j.model.VimWeights;

/**
 * A loaded Vision Mamba model: immutable weights placed for one backend, plus that backend's kernel
 * threads. Thread-safe: share one model; give each thread its own {@link VimSession}.
 *
 * <p>Lifecycle. The model owns its weights (the checkpoint's mapped memory and an arena of prepared
 * copies, in the backend's memory) and its backend's threads or device context. {@link #close()} refuses new inferences at once, waits for running ones to
 * finish, closes every session still open, then frees everything; afterwards any call on the model or
 * its sessions throws {@link IllegalStateException}.
 */
public final class VimModel implements AutoCloseable {
    private final VimConfig config;
    private final StateDict source;
    private final Arena arena = Arena.ofShared();
    private final BackendKind backend;
    private final Kernels kernels;
    private final Precision precision;
    private final VimWeights weights;
    private final boolean randomWeights;
    private final WarmUpResult warmUpResult;
    private final Set<VimSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean closed;
    /** This model as its sessions see it. */
    private final LoadedModel runtime = new LoadedModel() {
        @Override
        public VimConfig config() {
            return config;
        }

        @Override
        public Kernels kernels() {
            return kernels;
        }

        @Override
        public VimWeights weights() {
            return weights;
        }

        @Override
        public void enter() {
            VimModel.this.enter();
        }

        @Override
        public void exit() {
            VimModel.this.exit();
        }

        @Override
        public void checkOpen() {
            VimModel.this.checkOpen();
        }

        @Override
        public void forget(AutoCloseable session) {
            VimModel.this.forget(session);
        }
    };

    private VimModel(StateDict source, VimConfig config, VimOptions options) {
        this.source = source;
        this.config = config;
        this.backend = options.backend() == null ? Backends.selected() : options.backend();
        int t = options.threads() == 0 ? Backends.defaultThreads() : options.threads();
        WarmUp warmUp = options.resolvedWarmUp();
        this.kernels = Backends.create(backend, backend == BackendKind.SCALAR ? 1 : t);
        try {
            this.precision = resolvePrecision(options, kernels, source);
            String stored = source.metadata().get(PRECISION_METADATA);
            if (Precision.INT8.label().equals(stored) && precision != Precision.INT8) {
                System.getLogger("org.vim4j").log(System.Logger.Level.INFO, "checkpoint stored for int8, run at "
                        + precision.label() + ": its int8 weights are dequantized (q * scale) at load");
            }
            this.weights = VimWeights.place(source, config, kernels, precision, arena);
            this.warmUpResult = warmUp(warmUp);
        } catch (RuntimeException e) {
            arena.close();
            kernels.close();
            throw e;
        }
        this.randomWeights = "true".equals(source.metadata().get("vim4j.random"));
    }

    /** The most forwards a {@link WarmUp#STEADY} warm-up runs, whatever its budget says. */
    private static final int STEADY_MAX_FORWARDS = 100_000;

    /**
     * The load's warm-up, in a session freed right after. {@link WarmUp#QUICK}: where the backend asks for it
     * ({@link Kernels#warmsUpAtLoad()}), one forward of a zero image of 2x2 patches, the backend's one-time costs paid
     * here rather than by the first inference. {@link WarmUp#STEADY}: forwards at the model's own resolution until
     * {@link SteadyState} says the JIT has settled, of a fixed pattern rather than zeros so that they take the paths
     * real images take; logged at INFO, how long it took and whether it settled.
     */
    private WarmUpResult warmUp(WarmUp mode) {
        boolean steady = mode == WarmUp.STEADY;
        if (!steady && !(mode == WarmUp.QUICK && kernels.warmsUpAtLoad())) {
            return new WarmUpResult(mode, 0, false, 0, 0);
        }
        long start = System.nanoTime();
        int side = steady ? config.imgSize() : config.patchSize() + config.stride();
        SteadyState probe = steady ? SteadyState.ofThisJvm(WarmUp.STEADY_BUDGET_SECONDS * 1_000_000_000L,
                STEADY_MAX_FORWARDS) : SteadyState.oneForward();
        try (VimSession s = new VimSession(runtime, 1, side, side); Arena io = Arena.ofConfined()) {
            int n = config.channels() * side * side;
            MemorySegment in = io.allocate((long) n * Float.BYTES, 64);
            if (steady) {
                float[] pattern = new float[n];
                for (int i = 0; i < n; i++) {
                    pattern[i] = (float) Math.sin(i * 0.37);
                }
                MemorySegment.copy(pattern, 0, in, ValueLayout.JAVA_FLOAT, 0, n);
            }
            MemorySegment out = io.allocate(s.outputFloats(OutputKind.LOGITS, 1, side, side) * Float.BYTES, 64);
            boolean stop;
            do {
                long a = System.nanoTime();
                s.run(OutputKind.LOGITS, in, 1, side, side, out);
                long b = System.nanoTime();
                stop = probe.recordAndStop(b - a, b);
            } while (!stop);
        }
        WarmUpResult r = new WarmUpResult(mode, probe.forwards(), probe.steady(), System.nanoTime() - start,
                probe.bestNanos());
        if (steady) {
            System.getLogger("org.vim4j").log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT,
                    "warm-up: %s after %d forwards at %dx%d in %.2f s (fastest %.1f ms)",
                    r.steady() ? "steady" : "not steady (stopped at its limit)", r.forwards(), side, side,
                    r.nanos() / 1e9, r.fastestNanos() / 1e6));
        }
        return r;
    }

    /** The checkpoint metadata key naming the precision a quantized checkpoint was written for. */
    public static final String PRECISION_METADATA = "vim4j.precision";

    /**
     * The options' precision, else {@code -Dvim4j.precision}, else the checkpoint's own ({@value #PRECISION_METADATA}
     * in its metadata: {@code vim4j convert --precision} writes it), else the backend's default.
     */
    private static Precision resolvePrecision(VimOptions options, Kernels kernels, StateDict source) {
        if (options.precision() != null) {
            return options.precision();
        }
        String property = System.getProperty(VimOptions.PRECISION_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Precision.parse(property);
        }
        String stored = source.metadata().get(PRECISION_METADATA);
        if (stored != null) {
            try {
                return Precision.parse(stored);
            } catch (VimException e) {
                throw new VimException("checkpoint metadata " + PRECISION_METADATA + ": " + e.getMessage());
            }
        }
        return kernels.defaultPrecision();
    }

    /**
     * Bytes of the model's parameters at its precision: the layers that run BF16 at 2 bytes a weight, INT8 at 1 byte
     * plus a 4-byte scale per output channel, everything else fp32 (docs/precision.md, "Which layers"). Nominal: the
     * padding of a backend's packed copies is not counted.
     */
    public long weightBytes() {
        return weights.parameterBytes();
    }

    /**
     * Loads a checkpoint: an official {@code .pth} (training container or bare state dict; pickles are read
     * by a restricted unpickler that never runs code) or a {@code .safetensors} file (memory-mapped).
     */
    public static VimModel load(Path path, VimOptions options) {
        StateDict sd;
        try {
            sd = CheckpointReader.read(path, options.entry());
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw VimException.unexpected(path + ": cannot be read", e);
        }
        return loaded(path.toString(), sd, options);
    }

    /** A model of a state dict just read (closed on failure): its config inferred, its weights placed. */
    private static VimModel loaded(String what, StateDict sd, VimOptions options) {
        try {
            VimConfig c = VimConfigInference.infer(sd, options.imageSize(), options.stride());
            return new VimModel(sd, c, options);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            sd.close();
            throw VimException.unexpected(what + ": cannot be loaded as a Vim model", e);
        }
    }

    public static VimModel load(Path path) {
        return load(path, VimOptions.defaults());
    }

    /**
     * A model over tensors already in memory; the model takes ownership of {@code sd} and closes it. Package-private:
     * {@code StateDict} is internal (io), so this is not API.
     */
    static VimModel of(StateDict sd, VimConfig config, VimOptions options) {
        try {
            return new VimModel(sd, config, options);
        } catch (RuntimeException e) {
            sd.close();
            throw e;
        }
    }

    /** A model of {@code config}'s size with deterministic random weights: for benchmarks, never for answers. */
    public static VimModel random(VimConfig config, long seed, VimOptions options) {
        return of(RandomWeights.create(config, seed), config, options);
    }

    public VimConfig config() {
        return config;
    }

    public BackendKind backend() {
        return backend;
    }

    /** What distinguishes this model's backend here: vector width, native ISA tier, or GPU and GEMM precision. */
    public String backendDetail() {
        return Backends.detail(backend);
    }

    /** What the load's warm-up did ({@link VimOptions#withWarmUp}). */
    public WarmUpResult warmUpResult() {
        return warmUpResult;
    }

    public int threads() {
        return kernels.threads();
    }

    /** The arithmetic of the model's linear projections (docs/precision.md). */
    public Precision precision() {
        return precision;
    }

    public boolean hasRandomWeights() {
        return randomWeights;
    }

    /** The checkpoint file; null for the embedded model (read from the jar) and for random weights. */
    public Path source() {
        return source.source();
    }

    /** String metadata of the checkpoint (safetensors header, or facts from a .pth's args). */
    public java.util.Map<String, String> metadata() {
        return source.metadata();
    }

    /** Class names for the logits: the checkpoint's own, ImageNet-1k's for 1000 classes, else "class i". */
    public java.util.List<String> labels() {
        return ModelCard.labels(config, source.metadata());
    }

    /** The input transform this model expects: its metadata's, else ImageNet's (RGB) or mean 0.5, std 0.5 (grayscale). */
    public org.vim4j.image.Preprocessing preprocessing() {
        return ModelCard.preprocessing(config, source.metadata(), String.valueOf(source.source()));
    }

    /**
     * Loads the model shipped inside vim4j: a small Vim trained on Fashion-MNIST (28x28 grayscale, 10 classes, see
     * {@link #labels()} and {@link #preprocessing()}). It is read from the jar into memory: no temporary file, no disk
     * access beyond the jar.
     */
    public static VimModel loadDefault(VimOptions options) {
        StateDict sd;
        try {
            sd = ModelCard.embeddedModel();
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw VimException.unexpected("the embedded model cannot be read", e);
        }
        return loaded("the embedded model", sd, options);
    }

    /** {@link #loadDefault(VimOptions)} with {@link VimOptions#defaults()}. */
    public static VimModel loadDefault() {
        return loadDefault(VimOptions.defaults());
    }

    /** A session for up to {@code maxBatch} images of up to {@code maxHeight x maxWidth} pixels. */
    public VimSession newSession(int maxBatch, int maxHeight, int maxWidth) {
        checkOpen();
        VimSession s = new VimSession(runtime, maxBatch, maxHeight, maxWidth);
        sessions.add(s);
        if (closed) { // lost a race with close(): do not leak the workspace
            s.close();
            checkOpen();
        }
        return s;
    }

    /** A session for one image at the training resolution. */
    public VimSession newSession() {
        return newSession(1, config.imgSize(), config.imgSize());
    }

    Kernels kernels() {
        return kernels;
    }

    VimWeights weights() {
        return weights;
    }

    void forget(AutoCloseable s) {
        sessions.remove(s);
    }

    /** Marks an inference as running; fails if the model is closed. Pairs with {@link #exit()}. */
    void enter() {
        running.incrementAndGet();
        if (closed) {
            running.decrementAndGet();
            checkOpen();
        }
    }

    void exit() {
        running.decrementAndGet();
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("VimModel is closed");
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        while (running.get() > 0) {
            LockSupport.parkNanos(100_000);
        }
        for (VimSession s : sessions) {
            s.close();
        }
        arena.close();
        kernels.close();
        source.close();
    }
}
