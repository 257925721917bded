package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row pieces of softmax(scale · s): the row maximum, {@code exp(scale·s - shift)} in place with its sum, and a row
 * scaling. Full attention uses them once per row; the tiled variant per key block with a running maximum (the online
 * softmax). Vector loops run over full vectors with a scalar tail (masked tails take slow, allocating paths). The exponential is {@code VectorOperators.EXP} (SVML, within 1 ulp), which in a streaming loop like this
 * is as fast as a hand polynomial (docs/machine-limits.md §4).
 */
final class RowSoftmax {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private RowSoftmax() {
    }

    /** max over the row of {@code scale * x} ({@code scale > 0}). */
    static float scaledMax(boolean simd, MemorySegment x, long off, int n, float scale) {
        float m = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (simd) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; j + V <= n; j += V) {
                acc = acc.max(FloatVector.fromMemorySegment(S, x, (off + j) * 4, LE));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) {
            m = Math.max(m, x.getAtIndex(JAVA_FLOAT, off + j));
        }
        return m * scale;
    }

    /** {@code x = exp(scale * x - shift)} in place; returns the row sum. */
    static float expShift(boolean simd, MemorySegment x, long off, int n, float scale, float shift) {
        float sum = 0;
        int j = 0;
        if (simd) {
            FloatVector vs = FloatVector.broadcast(S, scale), vm = FloatVector.broadcast(S, -shift);
            FloatVector acc = FloatVector.zero(S);
            for (int end = S.loopBound(n); j < end; j += V) {
                long o = (off + j) * 4;
                FloatVector e = FloatVector.fromMemorySegment(S, x, o, LE).fma(vs, vm).lanewise(VectorOperators.EXP);
                e.intoMemorySegment(x, o, LE);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) {
            float e = (float) Math.exp(x.getAtIndex(JAVA_FLOAT, off + j) * scale - shift);
            x.setAtIndex(JAVA_FLOAT, off + j, e);
            sum += e;
        }
        return sum;
    }

    /** {@code x *= factor} over the row. */
    static void scale(boolean simd, MemorySegment x, long off, int n, float factor) {
        int j = 0;
        if (simd) {
            FloatVector f = FloatVector.broadcast(S, factor);
            for (int end = S.loopBound(n); j < end; j += V) {
                long o = (off + j) * 4;
                FloatVector.fromMemorySegment(S, x, o, LE).mul(f).intoMemorySegment(x, o, LE);
            }
        }
        for (; j < n; j++) {
            x.setAtIndex(JAVA_FLOAT, off + j, x.getAtIndex(JAVA_FLOAT, off + j) * factor);
        }
    }
}
