package org.vim4j.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Where one session's work runs: the host thread (CPU backends) or a device queue (a CUDA stream with captured graphs).
 * Made by {@link Kernels#newExecution} for one session and used by one thread at a time, like the session.
 * Offsets and counts are in floats.
 */
public interface Execution {
    /**
     * The input images as the kernels should read them: {@code host} itself where the backend reads host memory, else
     * a copy in the backend's memory (at most the {@code maxInputFloats} the execution was made for).
     */
    MemorySegment input(MemorySegment host, long floats);

    /** Copies host floats into the backend's activation memory (e.g. the position embedding of a new grid). */
    void upload(MemorySegment host, long hostOff, MemorySegment dst, long dstOff, long floats);

    /** Copies results from the backend's memory to the host, after the work queued before has finished. */
    void download(MemorySegment src, long srcOff, MemorySegment host, long hostOff, long floats);

    /**
     * Runs {@code forward} (a sequence of kernel calls). A device backend records it once per {@code shape} (a value
     * with equals/hashCode naming everything that changes the calls: batch, grid, output) and replays the recording
     * afterwards; host backends simply run it.
     */
    void run(Object shape, Runnable forward);

    /** The host execution: kernels read and write host memory on the calling thread (and the backend's pool). */
    Execution HOST = new Execution() {
        @Override
        public MemorySegment input(MemorySegment host, long floats) {
            return host;
        }

        @Override
        public void upload(MemorySegment host, long hostOff, MemorySegment dst, long dstOff, long floats) {
            MemorySegment.copy(host, hostOff * Float.BYTES, dst, dstOff * Float.BYTES, floats * Float.BYTES);
        }

        @Override
        public void download(MemorySegment src, long srcOff, MemorySegment host, long hostOff, long floats) {
            MemorySegment.copy(src, srcOff * Float.BYTES, host, hostOff * Float.BYTES, floats * Float.BYTES);
        }

        @Override
        public void run(Object shape, Runnable forward) {
            forward.run();
        }
    };
}
