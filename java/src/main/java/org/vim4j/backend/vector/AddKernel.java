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
        boolean plain;

        void run(KernelThreads threads, KernelTier tier, MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
            if (n <= 0) {
                return;
            }
            this.plain = tier == KernelTier.PLAIN;
            if (n <= CHUNK || threads.size() == 1 || !Confinement.shareable(dst) || !Confinement.shareable(src)) {
                add(dst, dOff, src, sOff, n, plain);
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
            add(dst, dOff + i0, src, sOff + i0, Math.min(CHUNK, n - i0), plain);
        }
    }

    static void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n, boolean plain) {
        if (plain) {
            plainAdd(dst, dOff, src, sOff, n);
            return;
        }
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

    /** The plain-Java twin ({@link KernelTier#PLAIN}): the same float adds, through arrays (bulk copies) for C1. */
    private static void plainAdd(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        int step = 4096;
        float[] r = Scratch.get().plainRows(2 * step);
        for (long i = 0; i < n; i += step) {
            int len = (int) Math.min(step, n - i);
            long d = (dOff + i) * Float.BYTES;
            MemorySegment.copy(dst, JAVA_FLOAT_UNALIGNED, d, r, 0, len);
            MemorySegment.copy(src, JAVA_FLOAT_UNALIGNED, (sOff + i) * Float.BYTES, r, step, len);
            for (int j = 0; j < len; j++) {
                r[j] += r[step + j];
            }
            MemorySegment.copy(r, 0, dst, JAVA_FLOAT_UNALIGNED, d, len);
        }
    }
}
