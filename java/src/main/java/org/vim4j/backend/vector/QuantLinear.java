package org.vim4j.backend.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vim4j.Precision;
import org.vim4j.VimException;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.Quantization;
import org.vim4j.tensor.Tensor;

/**
 * A BF16 or INT8 linear layer for {@link QuantGemmKernel}, kept in the small format: W (N, K) cut into column panels
 * of {@code 2 * LANES} output features, each stored K-major ({@code panel[k][j] = W[p*NR + j, k]}) as bf16 bits
 * (2 bytes) or int8 (1 byte), zero padded past N, so the microkernel reads one contiguous panel row per k step and
 * widens it to fp32 in registers. The padding after the last panel covers the one over-read of the 128-bit tier,
 * whose int8 load is 8 bytes wide (no 4-byte vector shape exists) of which only 4 are used.
 *
 * @param panels      {@code panelCount * K * NR} elements of {@code elementBytes}, 64-byte aligned
 * @param scales      INT8: the per-output-channel scales {@code sw}, padded to {@code panelCount * NR}; BF16: null
 * @param bias        {@code panelCount * NR} floats or null
 */
record QuantLinear(Precision precision, MemorySegment panels, MemorySegment scales, MemorySegment bias, int outFeatures,
        int inFeatures, int panelCount) implements LinearWeight {
    /** Columns per panel: two vectors, the 6 x 2 microkernel. */
    static final int NR = 2 * VectorLanes.LANES;
    /** Bytes past the last panel (the widest over-read is 8 bytes; 64 keeps the next allocation aligned). */
    private static final long TAIL = 64;

    @Override
    public boolean hasBias() {
        return bias != null;
    }

    int elementBytes() {
        return precision == Precision.INT8 ? 1 : 2;
    }

    /** Byte offset of {@code panel[k][0]} of panel p. */
    long panelOffset(int p, int k) {
        return ((long) p * inFeatures + k) * NR * elementBytes();
    }

    /** Packs {@code source} at {@code precision} (BF16 or INT8) with the reference rounding of {@link Quantization}. */
    static QuantLinear pack(LinearSource source, Precision precision, Arena arena) {
        int n = source.outFeatures(), k = source.inFeatures();
        int panels = (n + NR - 1) / NR;
        int bytes = precision == Precision.INT8 ? 1 : 2;
        MemorySegment packed = arena.allocate((long) panels * k * NR * bytes + TAIL, 64);
        MemorySegment scales = null;
        if (precision == Precision.INT8) {
            scales = arena.allocate((long) panels * NR * Float.BYTES, 64);
            // The row-major quantized copy is only a step on the way to the panels: a temporary arena, so the model
            // keeps one int8 copy of the weight, not two.
            try (Arena tmp = Arena.ofConfined()) {
                Quantization.Int8Weight q = Quantization.int8(source, n, k, tmp);
                for (int j = 0; j < n; j++) {
                    int p = j / NR, jj = j % NR;
                    for (int kk = 0; kk < k; kk++) {
                        packed.set(ValueLayout.JAVA_BYTE, ((long) p * k + kk) * NR + jj, q.get(j, kk));
                    }
                    scales.setAtIndex(ValueLayout.JAVA_FLOAT, j, q.scale(j));
                }
            }
        } else if (precision == Precision.BF16) {
            for (int j = 0; j < n; j++) {
                int p = j / NR, jj = j % NR;
                for (int kk = 0; kk < k; kk++) {
                    short b = Quantization.toBf16(Quantization.dequantized(source, j, k, kk));
                    packed.setAtIndex(ValueLayout.JAVA_SHORT, ((long) p * k + kk) * NR + jj, b);
                }
            }
        } else {
            throw new IllegalArgumentException("QuantLinear packs BF16 or INT8, not " + precision);
        }
        MemorySegment b = null;
        Tensor bias = source.bias();
        if (bias != null) {
            if (bias.numel() != n) {
                throw new VimException("linear bias '" + bias.name() + "' has " + bias.numel() + " values, expected " + n);
            }
            b = arena.allocate((long) panels * NR * Float.BYTES, 64);
            for (int j = 0; j < n; j++) {
                b.setAtIndex(ValueLayout.JAVA_FLOAT, j, bias.getFloat(j));
            }
        }
        return new QuantLinear(precision, packed, scales, b, n, k, panels);
    }
}
