package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.vim4j.backend.vector.VectorLanes.F;
import static org.vim4j.backend.vector.VectorLanes.LANES;
import static org.vim4j.backend.vector.VectorLanes.ORDER;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;


/**
 * {@code dst += src}. Memory-bound, so it is split across threads only in chunks of at least
 * {@link #CHUNK} floats (a Vim-Tiny activation, 197 x 192, is about one chunk: not worth a dispatch).
 */
final class AddKernel {
    static final int CHUNK = 1 << 16;

    private AddKernel() {
    }

    /** One call's arguments; one instance per calling thread, reused. */
    static final class Task implements ParallelTask {
        MemorySegment dst, src;
        long dOff, sOff, n;

        void run(KernelThreads threads, MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
            if (n <= 0) {
                return;
            }
            if (n <= CHUNK || threads.size() == 1 || !Confinement.shareable(dst) || !Confinement.shareable(src)) {
                add(dst, dOff, src, sOff, n);
                return;
            }
            this.dst = dst;
            this.dOff = dOff;
            this.src = src;
            this.sOff = sOff;
            this.n = n;
            try {
                threads.run(this, (int) ((n + CHUNK - 1) / CHUNK));
            } finally {
                this.dst = this.src = null;
            }
        }

        @Override
        public void run(int index) {
            long i0 = (long) index * CHUNK;
            add(dst, dOff + i0, src, sOff + i0, Math.min(CHUNK, n - i0));
        }
    }

    static void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        long db = dOff * Float.BYTES, sb = sOff * Float.BYTES;
        long bound = n - n % LANES;
        long i = 0;
        for (; i < bound; i += LANES) {
            long o = i * Float.BYTES;
            FloatVector.fromMemorySegment(F, dst, db + o, ORDER)
                    .add(FloatVector.fromMemorySegment(F, src, sb + o, ORDER))
                    .intoMemorySegment(dst, db + o, ORDER);
        }
        for (; i < n; i++) {
            long o = i * Float.BYTES;
            dst.set(JAVA_FLOAT_UNALIGNED, db + o, dst.get(JAVA_FLOAT_UNALIGNED, db + o) + src.get(JAVA_FLOAT_UNALIGNED, sb + o));
        }
    }
}
