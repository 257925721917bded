package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.vim4j.backend.vector.VectorLanes.F;
import static org.vim4j.backend.vector.VectorLanes.LANES;
import static org.vim4j.backend.vector.VectorLanes.ORDER;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;


/**
 * Fused residual add + RMSNorm, one row at a time: the add and the sum of squares share one pass
 * (the row then sits in L1 for the scaling pass). Rows are split across threads only when a task gets
 * at least {@link #MIN_FLOATS_PER_TASK} floats: below that the dispatch costs more than it saves.
 */
final class NormKernel {
    static final int MIN_FLOATS_PER_TASK = 8192;
    /** Lane rotations by LANES/2, LANES/4, ..., 1: the steps of {@link #sumLanes}. */
    private static final VectorShuffle<Float>[] HALVES = halves();

    private NormKernel() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int steps = Integer.numberOfTrailingZeros(LANES);
        VectorShuffle<Float>[] s = new VectorShuffle[steps];
        for (int i = 0, d = LANES / 2; d >= 1; i++, d /= 2) {
            s[i] = VectorShuffle.iota(F, d, 1, true);
        }
        return s;
    }

    /**
     * The sum of the lanes in one fixed pairwise order. Not {@code reduceLanes(ADD)}: its float order is
     * unspecified and differs between the interpreter and C2's intrinsic, so the same input gave different
     * bits before and after JIT compilation (found by the reliability tests). Lane-wise adds and rotations are
     * exact in every tier.
     */
    static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> s : HALVES) {
            v = v.add(v.rearrange(s));
        }
        return v.lane(0);
    }

    /** One call's arguments; one instance per calling thread, reused. */
    static final class Task implements ParallelTask {
        MemorySegment residual, hidden, weight, out;
        long rOff, hOff, oOff;
        int rows, dim, rowsPerTask;
        float eps;
        boolean plain;

        void run(KernelThreads threads, KernelTier tier, MemorySegment residual, MemorySegment hidden, MemorySegment weight,
                MemorySegment out, int rows, int dim, float eps) {
            if (rows <= 0 || dim <= 0) {
                return;
            }
            this.residual = residual;
            this.rOff = 0;
            this.hidden = hidden;
            this.hOff = 0;
            this.weight = weight;
            this.out = out;
            this.oOff = 0;
            this.rows = rows;
            this.dim = dim;
            this.eps = eps;
            this.plain = tier == KernelTier.PLAIN;
            int tasks = (int) Math.min(4L * threads.size(), Math.max(1L, (long) rows * dim / MIN_FLOATS_PER_TASK));
            tasks = Math.max(1, Math.min(tasks, rows));
            rowsPerTask = (rows + tasks - 1) / tasks;
            try {
                boolean shared = Confinement.shareable(residual) && Confinement.shareable(hidden)
                        && Confinement.shareable(weight) && Confinement.shareable(out);
                Parallel.run(shared ? threads : null, this, (rows + rowsPerTask - 1) / rowsPerTask);
            } finally {
                this.residual = this.hidden = this.weight = this.out = null;
            }
        }

        @Override
        public void run(int index) {
            int r1 = Math.min(rows, (index + 1) * rowsPerTask);
            float[] staged = null;
            if (plain) { // the plain rows' staging, with the weight copied once per task
                staged = Scratch.get().plainRows(3 * dim + 2 * LANES);
                MemorySegment.copy(weight, JAVA_FLOAT_UNALIGNED, 0, staged, 2 * dim, dim);
            }
            for (int r = index * rowsPerTask; r < r1; r++) {
                if (plain) {
                    plainRow((long) r * dim, staged);
                } else {
                    row((long) r * dim);
                }
            }
        }

        /**
         * The plain-Java twin of {@link #row} ({@link KernelTier#PLAIN}), bit-identical: the sum of squares accumulates
         * in {@code LANES} partial sums by fused multiply-adds exactly as the vector lanes do, then {@link #sumLanes}'s
         * pairwise order, then the scalar tail. {@code r}: the row, hidden and weight (staged), the lane sums.
         */
        private void plainRow(long row, float[] r) {
            int dim = this.dim, bound = dim - dim % LANES;
            int hAt = dim, wAt = 2 * dim, lanes = 3 * dim, rotated = lanes + LANES;
            MemorySegment.copy(residual, JAVA_FLOAT_UNALIGNED, (rOff + row) * Float.BYTES, r, 0, dim);
            if (hidden != null) {
                MemorySegment.copy(hidden, JAVA_FLOAT_UNALIGNED, (hOff + row) * Float.BYTES, r, hAt, dim);
                for (int i = 0; i < dim; i++) {
                    r[i] += r[hAt + i];
                }
                MemorySegment.copy(r, 0, residual, JAVA_FLOAT_UNALIGNED, (rOff + row) * Float.BYTES, dim);
            }
            Arrays.fill(r, lanes, lanes + LANES, 0f);
            for (int i = 0; i < bound; i++) {
                int l = lanes + i % LANES;
                r[l] = Math.fma(r[i], r[i], r[l]);
            }
            for (int d = LANES / 2; d >= 1; d /= 2) { // v[j] += v[(j + d) % LANES], all lanes at once as the shuffle does
                for (int j = 0; j < LANES; j++) {
                    r[rotated + j] = r[lanes + j] + r[lanes + (j + d) % LANES];
                }
                System.arraycopy(r, rotated, r, lanes, LANES);
            }
            float sumSq = r[lanes];
            for (int i = bound; i < dim; i++) {
                sumSq += r[i] * r[i];
            }
            float inv = (float) (1.0 / Math.sqrt(sumSq / dim + eps));
            for (int i = 0; i < dim; i++) {
                r[hAt + i] = r[i] * inv * r[wAt + i];
            }
            MemorySegment.copy(r, hAt, out, JAVA_FLOAT_UNALIGNED, (oOff + row) * Float.BYTES, dim);
        }

        private void row(long row) {
            // Fields copied to locals: C2 must assume a store to a segment may change a field, so fields read
            // in the loop would be reloaded (and their segment class re-checked) on every iteration.
            MemorySegment residual = this.residual, hidden = this.hidden, weight = this.weight, out = this.out;
            int dim = this.dim;
            int bound = F.loopBound(dim);
            long rb = (rOff + row) * Float.BYTES, hb = (hOff + row) * Float.BYTES, ob = (oOff + row) * Float.BYTES;
            FloatVector acc = FloatVector.zero(F);
            int i = 0;
            for (; i < bound; i += LANES) {
                long o = (long) i * Float.BYTES;
                FloatVector v = FloatVector.fromMemorySegment(F, residual, rb + o, ORDER);
                if (hidden != null) {
                    v = v.add(FloatVector.fromMemorySegment(F, hidden, hb + o, ORDER));
                    v.intoMemorySegment(residual, rb + o, ORDER);
                }
                acc = v.fma(v, acc);
            }
            float sumSq = sumLanes(acc);
            for (; i < dim; i++) {
                long o = (long) i * Float.BYTES;
                float v = residual.get(JAVA_FLOAT_UNALIGNED, rb + o);
                if (hidden != null) {
                    v += hidden.get(JAVA_FLOAT_UNALIGNED, hb + o);
                    residual.set(JAVA_FLOAT_UNALIGNED, rb + o, v);
                }
                sumSq += v * v;
            }
            float inv = (float) (1.0 / Math.sqrt(sumSq / dim + eps));
            i = 0;
            for (; i < bound; i += LANES) {
                long o = (long) i * Float.BYTES;
                FloatVector.fromMemorySegment(F, residual, rb + o, ORDER).mul(inv)
                        .mul(FloatVector.fromMemorySegment(F, weight, o, ORDER))
                        .intoMemorySegment(out, ob + o, ORDER);
            }
            for (; i < dim; i++) {
                long o = (long) i * Float.BYTES;
                out.set(JAVA_FLOAT_UNALIGNED, ob + o, residual.get(JAVA_FLOAT_UNALIGNED, rb + o) * inv * weight.get(JAVA_FLOAT_UNALIGNED, o));
            }
        }
    }
}
