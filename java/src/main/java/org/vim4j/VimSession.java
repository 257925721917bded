package org.vim4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;

import org.vim4j.model.DeviceForward;
import org.vim4j.model.DeviceSession;
import org.vim4j.model.OutputKind;
import org.vim4j.model.PosEmbedInterpolation;
import org.vim4j.model.StageObserver;
import org.vim4j.model.VimConfig;
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
    private final VimModel model;
    private final VimConfig config;
    private final Arena arena = Arena.ofShared();
    private final Workspace ws;
    private final DeviceSession device; // the device backend's context, or null: the host loop runs
    private final AtomicReference<Thread> user = new AtomicReference<>();
    private volatile boolean closed;
    private int gridH = -1, gridW = -1;

    VimSession(VimModel model, int maxBatch, int maxHeight, int maxWidth) {
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
        long bytes = tokens > Integer.MAX_VALUE ? -1 : Workspace.requiredBytes(config, maxBatch, (int) tokens);
        if (bytes < 0) {
            throw new VimException("a session for " + maxBatch + " image(s) of up to " + maxHeight + "x" + maxWidth
                    + " needs a workspace beyond 64-bit sizes; use a smaller batch or size");
        }
        try {
            this.ws = new Workspace(arena, config, maxBatch, (int) tokens);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            arena.close();
            throw new VimException("cannot allocate the session workspace of " + bytes + " bytes for " + maxBatch
                    + " image(s) of up to " + maxHeight + "x" + maxWidth + " (" + tokens + " tokens): " + e.getMessage(), e);
        }
        try {
            this.device = model.kernels() instanceof DeviceForward df
                    ? df.openSession(model.weights(), arena, maxBatch, (int) tokens) : null;
        } catch (RuntimeException | Error e) { // e.g. out of device memory: free what was allocated
            arena.close();
            throw e;
        }
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

    /** As {@link #run}, reporting intermediate activations to {@code observer} (for parity tests and debugging). */
    public void runObserved(OutputKind kind, MemorySegment input, int batch, int height, int width, MemorySegment output,
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
                int gh = config.gridSize(height), gw = config.gridSize(width);
                preparePositions(gh, gw);
                if (device != null && observer == null) {
                    device.run(kind, input, batch, gh, gw, height, width, ws.posEmbed, output);
                } else {
                    VimForward.run(model.kernels(), model.weights(), ws, input, 0, batch, gh, gw, height, width, observer);
                    copyOut(kind, batch, gh * gw + 1, output);
                }
            } finally {
                model.exit();
            }
        } finally {
            user.set(null);
        }
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

    /** The position embedding for this grid: the checkpoint's own, or resampled once when the grid changes. */
    private void preparePositions(int gh, int gw) {
        if (gh == gridH && gw == gridW) {
            return;
        }
        int g0 = config.nativeGrid(), d = config.embedDim();
        if (gh == g0 && gw == g0) {
            MemorySegment.copy(model.weights().posEmbed, 0, ws.posEmbed, 0, (long) (g0 * g0 + 1) * d * 4);
        } else {
            PosEmbedInterpolation.resample(model.weights().posEmbed, g0, d, ws.posEmbed, gh, gw);
        }
        gridH = gh;
        gridW = gw;
    }

    private void copyOut(OutputKind kind, int batch, int tokens, MemorySegment output) {
        int d = config.embedDim();
        switch (kind) {
            case LOGITS -> MemorySegment.copy(ws.logits, 0, output, 0, (long) batch * config.numClasses() * 4);
            case TOKENS -> MemorySegment.copy(ws.normed, 0, output, 0, (long) batch * tokens * d * 4);
            case CLS -> {
                int cls = (tokens - 1) / 2;
                for (int b = 0; b < batch; b++) {
                    MemorySegment.copy(ws.normed, ((long) b * tokens + cls) * d * 4, output, (long) b * d * 4, (long) d * 4);
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
