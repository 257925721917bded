package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * DeiT's LayerNorm of one row: {@code y = (x - mean) / sqrt(var + eps) * w + b} with the biased variance, computed in
 * two passes (mean first, then squared deviations) so large means do not cancel. Vim's RMSNorm has no counterpart
 * here; this op exists only for the DeiT baseline.
 */
final class LayerNorm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private LayerNorm() {
    }

    static void row(boolean simd, MemorySegment x, long xOff, MemorySegment w, MemorySegment b, MemorySegment y, long yOff,
            int dim, float eps) {
        if (!simd) {
            scalarRow(x, xOff, w, b, y, yOff, dim, eps);
            return;
        }
        // Full vectors plus a scalar tail: masked tails fall back to allocating Java code paths in C2.
        int vEnd = S.loopBound(dim);
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j < vEnd; j += V) {
            acc = acc.add(FloatVector.fromMemorySegment(S, x, (xOff + j) * 4, LE));
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; j < dim; j++) {
            sum += x.getAtIndex(JAVA_FLOAT, xOff + j);
        }
        float mean = sum / dim;
        FloatVector vm = FloatVector.broadcast(S, mean);
        acc = FloatVector.zero(S);
        for (j = 0; j < vEnd; j += V) {
            FloatVector d = FloatVector.fromMemorySegment(S, x, (xOff + j) * 4, LE).sub(vm);
            acc = d.fma(d, acc);
        }
        float sq = acc.reduceLanes(VectorOperators.ADD);
        for (; j < dim; j++) {
            float d = x.getAtIndex(JAVA_FLOAT, xOff + j) - mean;
            sq += d * d;
        }
        float rstd = (float) (1.0 / Math.sqrt(sq / dim + eps));
        FloatVector vr = FloatVector.broadcast(S, rstd);
        for (j = 0; j < vEnd; j += V) {
            FloatVector d = FloatVector.fromMemorySegment(S, x, (xOff + j) * 4, LE).sub(vm).mul(vr);
            d.fma(FloatVector.fromMemorySegment(S, w, j * 4L, LE), FloatVector.fromMemorySegment(S, b, j * 4L, LE))
                    .intoMemorySegment(y, (yOff + j) * 4, LE);
        }
        for (; j < dim; j++) {
            float d = (x.getAtIndex(JAVA_FLOAT, xOff + j) - mean) * rstd;
            y.setAtIndex(JAVA_FLOAT, yOff + j, d * w.getAtIndex(JAVA_FLOAT, j) + b.getAtIndex(JAVA_FLOAT, j));
        }
    }

    private static void scalarRow(MemorySegment x, long xOff, MemorySegment w, MemorySegment b, MemorySegment y, long yOff,
            int dim, float eps) {
        float sum = 0;
        for (int j = 0; j < dim; j++) {
            sum += x.getAtIndex(JAVA_FLOAT, xOff + j);
        }
        float mean = sum / dim, sq = 0;
        for (int j = 0; j < dim; j++) {
            float d = x.getAtIndex(JAVA_FLOAT, xOff + j) - mean;
            sq += d * d;
        }
        float rstd = (float) (1.0 / Math.sqrt(sq / dim + eps));
        for (int j = 0; j < dim; j++) {
            float d = (x.getAtIndex(JAVA_FLOAT, xOff + j) - mean) * rstd;
            y.setAtIndex(JAVA_FLOAT, yOff + j, d * w.getAtIndex(JAVA_FLOAT, j) + b.getAtIndex(JAVA_FLOAT, j));
        }
    }
}
