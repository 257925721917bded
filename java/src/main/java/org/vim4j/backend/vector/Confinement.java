package org.vim4j.backend.vector;

import java.lang.foreign.MemorySegment;

/**
 * Whether a call's buffers may be touched by the pool's worker threads.
 *
 * <p>The {@code Kernels} contract does not require shared memory: a caller may pass an image in a
 * confined arena (its own thread only), and a worker touching it would throw {@code WrongThreadException}.
 * Each op therefore checks its segments and, if any is confined, runs its loop on the calling thread.
 * The check is {@link MemorySegment#isAccessibleBy} against a thread that is never started, so it is true
 * exactly for segments any thread may use (shared, global, automatic, heap): two field reads, no allocation.
 */
final class Confinement {
    private static final Thread OTHER = new Thread(() -> { }, "vim4j-confinement-probe");

    private Confinement() {
    }

    /** True when threads other than the caller may access {@code s} (null counts as shareable). */
    static boolean shareable(MemorySegment s) {
        return s == null || s.isAccessibleBy(OTHER);
    }
}
