package org.vim4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;

import org.vim4j.kernel.Execution;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.model.PosEmbedInterpolation;
import org.vim4j.model.StageObserver;
import org.vim4j.model.VimForward;
import org.vim4j.model.Workspace;

/**
 * One thread's inference context: a workspace preallocated for a maximum batch and resolution, reused by
 * every call, so steady-state inference allocates nothing on the heap but the result (and nothing at
 * all through {@link #run}).
 *
 * <p>Not for concurrent use: a second thread entering while a call runs gets an
 * {@link IllegalStateException} instead of corrupted results. Inputs are normalised NCHW float32 images;
 * any size whose patch grid fits the workspace works (the position embedding is resampled for grids
 * other than the checkpoint's). NaN or infinite inputs are not rejected: they propagate to the outputs.
 */
public final class VimSession implements AutoCloseable {
    private final LoadedModel model;
    private final VimConfig config;
    private final Arena arena = Arena.ofShared();
    private final Workspace ws;
    private final Execution exec;          // where the backend runs this session's work (host, or a device stream)
    private final MemorySegment hostPos;   // the position embedding for the current grid, resampled on the host
    private final Forward forward = new Forward();
    private final AtomicReference<Thread> user = new AtomicReference<>();
    private volatile boolean closed;
    private Shape shape;                   // the last input shape: its grid, and the key of a recorded forward

    VimSession(LoadedModel model, int maxBatch, int maxHeight, int maxWidth) {
        this.model = model;
        this.config = model.config();
        if (maxBatch < 1) {
            throw new VimException("maxBatch must be >= 1, got " + maxBatch);
        }
        if (maxHeight < config.patchSize() || maxWidth < config.patchSize()) {
            throw new VimException("maximum size " + maxHeight + "x" + maxWidth + " is smaller than the " + config.patchSize()
                    + "-pixel patch");
        }
        long tokens = (long) config.gridSize(maxHeight) * config.gridSize(maxWidth) + 1;
        // Sized with exact arithmetic before anything is allocated: an impossible session must be a VimException
        // that says so, not an ArithmeticException from int token math or an OutOfMemoryError from the arena.
        long bytes = tokens > Integer.MAX_VALUE ? -1 : Workspace.requiredBytes(model.kernels(), config, maxBatch, (int) tokens);
        if (bytes < 0) {
            throw new VimException("a session for " + maxBatch + " image(s) of up to " + maxHeight + "x" + maxWidth
                    + " needs a workspace beyond 64-bit sizes; use a smaller batch or size");
        }
        try {
            this.ws = new Workspace(model.kernels(), arena, config, maxBatch, (int) tokens);
            this.hostPos = arena.allocate((long) tokens * config.embedDim() * Float.BYTES, 64);
            long inputFloats = (long) maxBatch * config.channels() * maxPixels(config, (int) tokens - 1);
            this.exec = model.kernels().newExecution(arena, inputFloats);
        } catch (OutOfMemoryError | IllegalArgumentException | ArithmeticException e) {
            arena.close();
            throw new VimException("cannot allocate the session workspace of " + bytes + " bytes for " + maxBatch
                    + " image(s) of up to " + maxHeight + "x" + maxWidth + " (" + tokens + " tokens): " + e.getMessage(), e);
        } catch (RuntimeException | Error e) { // e.g. out of device memory: free what was allocated
            arena.close();
            throw e;
        }
    }

    /**
     * The most pixels per channel an input may have while its patch grid has at most {@code patches} patches: a side
     * of g patches spans at most (g-1)*stride + patch + stride-1 pixels; maximised over grids gh x gw.
     */
    static long maxPixels(VimConfig c, int patches) {
        long best = 0;
        int s = c.stride(), p = c.patchSize();
        for (int gh = 1; gh <= patches; gh++) {
            int gw = patches / gh;
            long h = (long) (gh - 1) * s + p + s - 1, wd = (long) (gw - 1) * s + p + s - 1;
            best = Math.max(best, h * wd);
        }
        return best;
    }

    /** Logits for {@code batch} images: {@code batch * numClasses} floats. */
    public float[] logits(float[] nchw, int batch, int height, int width) {
        return runArray(OutputKind.LOGITS, nchw, batch, height, width);
    }

    /** Final-normed class-token features: {@code batch * D} floats. */
    public float[] classFeatures(float[] nchw, int batch, int height, int width) {
        return runArray(OutputKind.CLS, nchw, batch, height, width);
    }

    /** Every final-normed token (class token at M/2): {@code batch * tokens * D} floats. */
    public float[] tokenFeatures(float[] nchw, int batch, int height, int width) {
        return runArray(OutputKind.TOKENS, nchw, batch, height, width);
    }

    private float[] runArray(OutputKind kind, float[] nchw, int batch, int height, int width) {
        checkGeometry(batch, height, width); // before sizing the result: a negative batch must not reach new float[]
        long need = (long) batch * config.channels() * height * width;
        if (nchw.length != need) {
            // An array is exactly the images it holds; a longer one is a wrong channel count or size, and reading
            // its first part would be a silently wrong answer.
            throw new VimException("input holds " + nchw.length + " floats; " + batch + " image(s) of " + config.channels()
                    + "x" + height + "x" + width + " need exactly " + need + " (wrong channel count or image size?)");
        }
        long floats = outputFloats(kind, batch, height, width);
        if (floats > Integer.MAX_VALUE - 8) {
            throw new VimException(kind + " for " + batch + " image(s) of " + height + "x" + width + " is " + floats
                    + " floats, more than a Java array holds; use run() with a MemorySegment");
        }
        float[] out = new float[(int) floats];
        run(kind, MemorySegment.ofArray(nchw), batch, height, width, MemorySegment.ofArray(out));
        return out;
    }

    /** Floats that {@link #run} writes for this output kind, batch and input size. */
    public long outputFloats(OutputKind kind, int batch, int height, int width) {
        long per = switch (kind) {
            case LOGITS -> config.numClasses();
            case CLS -> config.embedDim();
            case TOKENS -> ((long) config.gridSize(height) * config.gridSize(width) + 1) * config.embedDim();
        };
        return batch * per;
    }

    /**
     * Zero-copy, allocation-free inference: reads {@code batch} NCHW images from {@code input} (native or heap
     * segment, float32) and writes {@link #outputFloats} floats to {@code output}.
     */
    public void run(OutputKind kind, MemorySegment input, int batch, int height, int width, MemorySegment output) {
        runObserved(kind, input, batch, height, width, output, null);
    }

    /**
     * As {@link #run}, reporting intermediate activations to {@code observer}: for the parity tests and debugging, not
     * API (the observer's types are internal), hence package-private; tests outside this package reach it through
     * their {@code org.vim4j.Sessions} helper.
     */
    void runObserved(OutputKind kind, MemorySegment input, int batch, int height, int width, MemorySegment output,
            StageObserver observer) {
        Thread me = Thread.currentThread();
        Thread other = user.compareAndExchange(null, me);
        if (other != null) {
            throw new IllegalStateException("VimSession is in use by thread '" + other.getName()
                    + "'; a session serves one thread at a time (create one session per thread)");
        }
        try {
            checkOpen();
            model.enter();
            try {
                validate(kind, input, batch, height, width, output);
                Shape sh = shape(batch, height, width);
                MemorySegment in = exec.input(input, (long) batch * sh.grid().imageFloats());
                if (observer == null) {
                    forward.set(in, sh, null);
                    exec.run(sh, forward);
                } else { // observed runs are never recorded: the observer sees each stage as it is computed
                    try (Arena tmp = Arena.ofConfined()) {
                        forward.set(in, sh, (stage, layer, data, rows, cols) -> {
                            MemorySegment host = tmp.allocate((long) rows * cols * Float.BYTES, 64);
                            exec.download(data, 0, host, 0, (long) rows * cols);
                            observer.observe(stage, layer, host, rows, cols);
                        });
                        exec.run(null, forward);
                    }
                }
                copyOut(kind, batch, sh.grid(), output);
            } catch (VimException | IllegalStateException e) {
                throw e; // the API's own errors: bad inputs, and use after close or from two threads
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                throw VimException.unexpected("inference of " + batch + " image(s) of " + height + "x" + width, e);
            } finally {
                forward.set(null, null, null);
                model.exit();
            }
        } finally {
            user.set(null);
        }
    }

    /** What changes the sequence of kernel calls: the key under which a device backend records a forward. */
    private record Shape(int batch, PatchGrid grid) {
    }

    /** The forward of the current call, reused so that a run allocates nothing. */
    private final class Forward implements Runnable {
        private MemorySegment input;
        private Shape shape;
        private StageObserver observer;

        void set(MemorySegment input, Shape shape, StageObserver observer) {
            this.input = input;
            this.shape = shape;
            this.observer = observer;
        }

        @Override
        public void run() {
            VimForward.run(model.kernels(), model.weights(), ws, input, shape.batch(), shape.grid(), observer);
        }
    }

    /**
     * The shape of this call: the last one when batch and size repeat (no allocation), else a new one, with the position
     * embedding for its grid resampled on the host and uploaded to the workspace.
     */
    private Shape shape(int batch, int height, int width) {
        Shape sh = shape;
        if (sh != null && sh.batch() == batch && sh.grid().height() == height && sh.grid().width() == width) {
            return sh;
        }
        PatchGrid grid = new PatchGrid(config.channels(), height, width, config.patchSize(), config.stride());
        if (sh == null || sh.grid().gh() != grid.gh() || sh.grid().gw() != grid.gw()) {
            int g0 = config.nativeGrid(), d = config.embedDim();
            long floats = (long) grid.tokens() * d;
            if (grid.gh() == g0 && grid.gw() == g0) {
                MemorySegment.copy(model.weights().posEmbed, 0, hostPos, 0, floats * Float.BYTES);
            } else {
                PosEmbedInterpolation.resample(model.weights().posEmbed, g0, d, hostPos, grid.gh(), grid.gw());
            }
            exec.upload(hostPos, 0, ws.posEmbed, 0, floats);
        }
        shape = new Shape(batch, grid);
        return shape;
    }

    /** Batch and size checks that need no workspace; also run before a result array is allocated. */
    private void checkGeometry(int batch, int height, int width) {
        if (batch < 1 || batch > ws.maxBatch) {
            throw new VimException("batch " + batch + " is outside this session's range 1.." + ws.maxBatch);
        }
        int p = config.patchSize(), st = config.stride();
        if (height < p || width < p) {
            throw new VimException("input " + height + "x" + width + " is smaller than the " + p + "-pixel patch");
        }
        if ((height - p) % st != 0 || (width - p) % st != 0) {
            throw new VimException("input " + height + "x" + width + " is not tiled by " + p + "-pixel patches at stride " + st
                    + ": (side - " + p + ") must be a multiple of " + st + " (e.g. " + tiled(height) + "x" + tiled(width)
                    + "); crop or resize it, rather than have edge pixels silently ignored");
        }
        long tokens = (long) config.gridSize(height) * config.gridSize(width) + 1;
        if (tokens > ws.maxTokens) {
            throw new VimException("input " + height + "x" + width + " needs " + tokens + " tokens; this session was made for at most "
                    + ws.maxTokens + " (create it with a larger maximum size)");
        }
    }

    /** The largest tiled side not above {@code side}. */
    private int tiled(int side) {
        return side - (side - config.patchSize()) % config.stride();
    }

    private void validate(OutputKind kind, MemorySegment input, int batch, int height, int width, MemorySegment output) {
        checkGeometry(batch, height, width);
        if (input.maxByteAlignment() < Float.BYTES) {
            // Kernels read floats with aligned accesses (and hand addresses to native code): refuse here, clearly,
            // rather than fail inside a kernel on one backend and work by accident on another.
            throw new VimException("input segment is not 4-byte aligned (" + input + "); copy it into a float[] or a "
                    + "segment allocated with alignment 4");
        }
        long need = (long) batch * config.channels() * height * width * 4;
        if (input.byteSize() < need) {
            throw new VimException("input holds " + input.byteSize() / 4 + " floats; " + batch + " image(s) of "
                    + config.channels() + "x" + height + "x" + width + " need " + need / 4);
        }
        long out = outputFloats(kind, batch, height, width) * 4;
        if (output.byteSize() < out) {
            throw new VimException("output holds " + output.byteSize() / 4 + " floats; " + kind + " needs " + out / 4);
        }
        if (output.isReadOnly()) {
            throw new VimException("output segment is read-only");
        }
    }

    private void copyOut(OutputKind kind, int batch, PatchGrid grid, MemorySegment output) {
        int d = config.embedDim(), tokens = grid.tokens();
        switch (kind) {
            case LOGITS -> exec.download(ws.logits, 0, output, 0, (long) batch * config.numClasses());
            case TOKENS -> exec.download(ws.normed, 0, output, 0, (long) batch * tokens * d);
            case CLS -> {
                for (int b = 0; b < batch; b++) {
                    exec.download(ws.normed, ((long) b * tokens + grid.cls()) * d, output, (long) b * d, d);
                }
            }
        }
    }

    public int maxBatch() {
        return ws.maxBatch;
    }

    public int maxTokens() {
        return ws.maxTokens;
    }

    /** Off-heap bytes of this session's workspace. */
    public long workspaceBytes() {
        return ws.byteSize();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("VimSession is closed");
        }
        model.checkOpen();
    }

    /** Frees the workspace; later calls throw {@link IllegalStateException}. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        model.forget(this);
        while (user.get() != null) { // closed from another thread mid-run: let that run finish first
            Thread.onSpinWait();
        }
        arena.close();
    }

}
