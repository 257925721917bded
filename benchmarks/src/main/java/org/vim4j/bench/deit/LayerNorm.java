package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < dim; j += V) {
            acc = acc.add(FloatVector.fromMemorySegment(S, x, (xOff + j) * 4, LE, S.indexInRange(j, dim)));
        }
        float mean = acc.reduceLanes(VectorOperators.ADD) / dim;
        FloatVector vm = FloatVector.broadcast(S, mean);
        acc = FloatVector.zero(S);
        for (int j = 0; j < dim; j += V) {
            VectorMask<Float> m = S.indexInRange(j, dim);
            FloatVector d = FloatVector.fromMemorySegment(S, x, (xOff + j) * 4, LE, m).sub(vm);
            acc = d.fma(d, acc).blend(acc, m.not());
        }
        float rstd = (float) (1.0 / Math.sqrt(acc.reduceLanes(VectorOperators.ADD) / dim + eps));
        FloatVector vr = FloatVector.broadcast(S, rstd);
        for (int j = 0; j < dim; j += V) {
            VectorMask<Float> m = S.indexInRange(j, dim);
            FloatVector d = FloatVector.fromMemorySegment(S, x, (xOff + j) * 4, LE, m).sub(vm).mul(vr);
            FloatVector out = d.fma(FloatVector.fromMemorySegment(S, w, j * 4L, LE, m),
                    FloatVector.fromMemorySegment(S, b, j * 4L, LE, m));
            out.intoMemorySegment(y, (yOff + j) * 4, LE, m);
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
