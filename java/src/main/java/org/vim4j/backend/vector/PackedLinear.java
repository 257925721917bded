package org.vim4j.backend.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.vim4j.VimException;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.Quantization;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * A linear layer's weight packed for {@link GemmKernel}: W (N, K) cut into column panels of
 * {@code vectors * LANES} output features (see {@link #vectorsFor}), each panel stored K-major ({@code panel[k][j] = W[p*NR + j, k]}),
 * zero padded past N. The microkernel then reads one contiguous 2-vector row of B per k step, the
 * access pattern the hardware prefetcher streams best, and never needs a mask inside the k loop.
 * The bias (if any) is padded to whole panels too, so the epilogue loads it without masks.
 *
 * @param panels {@code panelCount * K * NR} floats, 64-byte aligned, in the model's arena
 * @param bias {@code panelCount * NR} floats or null
 */
record PackedLinear(MemorySegment panels, MemorySegment bias, int outFeatures, int inFeatures, int vectors,
        int panelCount) implements LinearWeight {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public boolean hasBias() {
        return bias != null;
    }

    /** Columns per panel: {@code vectors} vectors. */
    int panelWidth() {
        return vectors * VectorLanes.LANES;
    }

    /** Byte offset of {@code panel[k][0]} of panel p. */
    long panelOffset(int p, int k) {
        return ((long) p * inFeatures + k) * panelWidth() * Float.BYTES;
    }

    /**
     * Panel width in vectors: 2 (the 6x2 kernel, fastest on wide layers) unless 3-vector panels pad N by
     * noticeably less (N = 44 at 16 lanes: 48 columns instead of 64), then the 4x3 kernel wastes less.
     */
    static int vectorsFor(int n) {
        int l = VectorLanes.LANES;
        long pad2 = (long) ceilDiv(n, 2 * l) * 2 * l, pad3 = (long) ceilDiv(n, 3 * l) * 3 * l;
        return pad3 * 10 < pad2 * 9 ? 3 : 2;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Packs an fp32 layer; an int8 weight with per-channel scales (a quantized checkpoint) is dequantized. */
    static PackedLinear pack(LinearSource source, Arena arena) {
        Tensor weight = source.weight(), bias = source.bias();
        boolean quantized = source.weightScale() != null;
        int n = source.outFeatures(), k = source.inFeatures();
        int vectors = vectorsFor(n);
        int nr = vectors * VectorLanes.LANES;
        int panels = (n + nr - 1) / nr;
        MemorySegment packed = arena.allocate((long) panels * k * nr * Float.BYTES, 64);
        // One panel at a time through arrays, each weight row read with one bulk copy: element-wise segment accesses
        // made packing a third of a cold vector load under C1 (README "Cold start").
        float[] row = new float[k], panel = new float[k * nr];
        for (int p = 0; p < panels; p++) {
            java.util.Arrays.fill(panel, 0f);
            for (int jj = 0; jj < nr && p * nr + jj < n; jj++) {
                int j = p * nr + jj;
                if (quantized) {
                    for (int kk = 0; kk < k; kk++) {
                        row[kk] = Quantization.dequantized(source, j, k, kk);
                    }
                } else if (weight.dtype() == DType.F32) {
                    MemorySegment.copy(weight.data(), F32_LE, (long) j * k * Float.BYTES, row, 0, k);
                } else {
                    for (int kk = 0; kk < k; kk++) {
                        row[kk] = weight.getFloat((long) j * k + kk);
                    }
                }
                for (int kk = 0; kk < k; kk++) {
                    panel[kk * nr + jj] = row[kk];
                }
            }
            MemorySegment.copy(panel, 0, packed, ValueLayout.JAVA_FLOAT, (long) p * k * nr * Float.BYTES, k * nr);
        }
        MemorySegment b = null;
        if (bias != null) {
            if (bias.numel() != n) {
                throw new VimException("linear bias '" + bias.name() + "' has " + bias.numel() + " values, expected " + n);
            }
            b = arena.allocate((long) panels * nr * Float.BYTES, 64);
            for (int j = 0; j < n; j++) {
                b.setAtIndex(ValueLayout.JAVA_FLOAT, j, read(bias, j));
            }
        }
        return new PackedLinear(packed, b, n, k, vectors, panels);
    }

    private static float read(Tensor t, long i) {
        return t.dtype() == DType.F32 ? t.data().getAtIndex(F32_LE, i) : t.getFloat(i);
    }
}
