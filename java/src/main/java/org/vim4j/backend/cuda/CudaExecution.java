package org.vim4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import org.vim4j.kernel.Execution;

/**
 * One session's device queue: a CUDA stream, a device buffer for the input images, pinned host memory for the
 * transfers, and the CUDA graphs recorded per shape. Everything belongs to the session's arena: closing it frees
 * them, and later use throws {@link IllegalStateException}. Used by one thread at a time, like its session.
 *
 * <p>{@link #run} makes this execution the calling thread's current one while the forward runs, so the kernels
 * ({@link CudaKernels}) enqueue on its stream. On the first run of a shape the forward is captured into a graph
 * (at most {@link #MAX_GRAPHS} per execution; beyond that, and with graphs off, it runs eagerly) and every run of that
 * shape replays it: one launch for the whole forward. A run without a shape (an observed run) is never recorded.
 * Transfers ({@link #upload}, {@link #download}) wait for the stream; one asked for while a forward is being captured
 * abandons the capture, and that forward then runs eagerly.
 */
final class CudaExecution implements Execution {
    /** Graphs kept per execution; runs of further shapes go without a graph. */
    static final int MAX_GRAPHS = 16;
    /** Floats of the pinned staging buffer at least (transfers of heap memory go through it in chunks). */
    private static final long MIN_STAGING_FLOATS = 1 << 18;

    private static final ThreadLocal<CudaExecution> CURRENT = new ThreadLocal<>();

    /** Thrown inside a capture by a transfer, which cannot be part of a graph: the capture is abandoned. */
    private static final class CaptureAbandoned extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CaptureAbandoned() {
            super("a transfer inside a captured forward", null, false, false);
        }
    }

    private final Arena arena;
    private final boolean graphs;
    private final MemorySegment stream;
    private final long maxInputFloats;
    private final MemorySegment deviceInput;
    private final MemorySegment pinned;
    private final Map<Object, MemorySegment> recorded = new HashMap<>();
    private boolean capturing;

    CudaExecution(Arena arena, long maxInputFloats, boolean graphs) {
        if (maxInputFloats < 0) {
            throw new IllegalArgumentException("maxInputFloats " + maxInputFloats + " < 0");
        }
        this.arena = arena;
        this.graphs = graphs;
        this.maxInputFloats = maxInputFloats;
        this.stream = CudaStream.create(arena);
        this.deviceInput = DeviceArena.allocate(arena, Math.multiplyExact(Math.max(1, maxInputFloats), 4L));
        this.pinned = DeviceArena.allocatePinned(arena, Math.multiplyExact(Math.max(MIN_STAGING_FLOATS, maxInputFloats), 4L));
    }

    /** The execution running a forward on the calling thread, or null (kernels then use the default stream). */
    static CudaExecution current() {
        return CURRENT.get();
    }

    MemorySegment stream() {
        return stream;
    }

    /** Whether runs of a shape are recorded into graphs. */
    boolean graphs() {
        return graphs;
    }

    /** Graphs recorded so far. */
    int recordedGraphs() {
        return recorded.size();
    }

    @Override
    public MemorySegment input(MemorySegment host, long floats) {
        if (floats < 0 || floats > maxInputFloats) {
            throw new IllegalArgumentException("input of " + floats + " floats; this execution was made for at most "
                    + maxInputFloats);
        }
        transferAllowed();
        CudaStream.synchronize(stream); // the previous input's copy out of the staging buffer has finished
        long bytes = floats * Float.BYTES;
        MemorySegment.copy(host, 0, pinned, 0, bytes);
        CudaStream.copy(deviceInput, pinned, bytes, stream);
        return deviceInput;
    }

    @Override
    public void upload(MemorySegment host, long hostOff, MemorySegment dst, long dstOff, long floats) {
        transferAllowed();
        if (floats <= 0) {
            return;
        }
        MemorySegment d = dst.asSlice(dstOff * Float.BYTES, floats * Float.BYTES); // bounds-checked device range
        if (host.isNative()) {
            CudaStream.copy(d, host.asSlice(hostOff * Float.BYTES, floats * Float.BYTES), floats * Float.BYTES, stream);
            CudaStream.synchronize(stream);
            return;
        }
        CudaStream.synchronize(stream); // the staging buffer is free
        long chunk = pinned.byteSize(), bytes = floats * Float.BYTES;
        for (long done = 0; done < bytes; done += chunk) {
            long n = Math.min(chunk, bytes - done);
            MemorySegment.copy(host, hostOff * Float.BYTES + done, pinned, 0, n);
            CudaStream.copy(done == 0 ? d : d.asSlice(done), pinned, n, stream);
            CudaStream.synchronize(stream);
        }
    }

    @Override
    public void download(MemorySegment src, long srcOff, MemorySegment host, long hostOff, long floats) {
        transferAllowed();
        if (floats <= 0) {
            return;
        }
        long bytes = floats * Float.BYTES;
        if (srcOff < 0 || srcOff * Float.BYTES + bytes > src.byteSize()) {
            throw new IndexOutOfBoundsException("download of floats [" + srcOff + ", " + (srcOff + floats) + ") from a "
                    + src.byteSize() / Float.BYTES + "-float device buffer");
        }
        MemorySegment s = srcOff == 0 ? src : src.asSlice(srcOff * Float.BYTES);
        if (host.isNative()) {
            MemorySegment h = hostOff == 0 && host.byteSize() >= bytes ? host : host.asSlice(hostOff * Float.BYTES, bytes);
            CudaStream.copy(h, s, bytes, stream);
            CudaStream.synchronize(stream);
            return;
        }
        long chunk = pinned.byteSize();
        for (long done = 0; done < bytes; done += chunk) {
            long n = Math.min(chunk, bytes - done);
            CudaStream.copy(pinned, done == 0 ? s : s.asSlice(done), n, stream);
            CudaStream.synchronize(stream);
            MemorySegment.copy(pinned, 0, host, hostOff * Float.BYTES + done, n);
        }
    }

    @Override
    public void run(Object shape, Runnable forward) {
        CudaExecution previous = CURRENT.get();
        CURRENT.set(this);
        try {
            MemorySegment graph = shape == null || !graphs ? null : recorded.get(shape);
            if (graph == null && shape != null && graphs && recorded.size() < MAX_GRAPHS) {
                graph = capture(forward);
                recorded.put(shape, graph); // NULL: this shape's forward transfers, so it always runs eagerly
                if (graph.address() == 0) {
                    return; // it ran eagerly after the abandoned capture
                }
            }
            if (graph != null && graph.address() != 0) {
                CudaStream.launch(graph, stream);
            } else {
                forward.run();
            }
        } finally {
            CURRENT.set(previous);
        }
    }

    /**
     * The forward recorded into a graph owned by the arena; or, if it asked for a transfer (which a graph cannot hold),
     * {@link MemorySegment#NULL} after running it eagerly.
     */
    private MemorySegment capture(Runnable forward) {
        CudaStream.beginCapture(stream);
        capturing = true;
        try {
            forward.run();
        } catch (CaptureAbandoned abandoned) {
            capturing = false;
            CudaStream.discardCapture(stream);
            forward.run();
            return MemorySegment.NULL;
        } catch (RuntimeException | Error e) {
            capturing = false;
            try {
                CudaStream.discardCapture(stream); // leave the stream usable; the broken capture is dropped
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        capturing = false;
        return CudaStream.endCapture(stream, arena);
    }

    private void transferAllowed() {
        if (capturing) {
            throw new CaptureAbandoned();
        }
    }
}
