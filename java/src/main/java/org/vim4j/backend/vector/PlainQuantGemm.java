package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.vim4j.Precision;
import org.vim4j.kernel.Quantization;

/**
 * The plain-Java twin of {@link QuantGemmKernel} ({@link KernelTier#PLAIN}) on the same {@link QuantLinear} weights
 * and task split, bit-identical to it:
 * <ul>
 * <li>BF16: A rounded to bf16 ({@link Quantization#roundBf16}), weights widened from their bf16 bits, then the same
 *     chain {@code c = fma(w, a, c)} over k from the bias (or zero) as the SIMD tile, through {@link PlainGemm}'s
 *     block.</li>
 * <li>INT8: rows quantized per token as the SIMD pack does (amax, {@link Quantization#quantize}), the dot product
 *     summed in int32 (exact, as the SIMD kernel's exact fp32 sums are), then {@code (float) acc * (sw * sa)} and
 *     {@code + bias} only when there is one.</li>
 * </ul>
 */
final class PlainQuantGemm {
    private PlainQuantGemm() {
    }

    /** Rows [r0, r1) of {@code C = A W^T + bias} at {@code w}'s precision, panels [p0, p1). */
    static void run(MemorySegment a, long aOff, int lda, QuantLinear w, MemorySegment c, long cOff, int ldc,
            int r0, int r1, int p0, int p1) {
        int k = w.inFeatures(), n = w.outFeatures(), nr = QuantLinear.NR;
        boolean int8 = w.precision() == Precision.INT8;
        int rows = r1 - r0, blockedRows = (rows + 3) & ~3;
        Scratch s = Scratch.get();
        float[] ap = s.packA(blockedRows * k);
        float[] rowScales = s.rowScales(blockedRows);
        for (int r = 0; r < rows; r++) {
            int at = r * k;
            MemorySegment.copy(a, JAVA_FLOAT_UNALIGNED, (aOff + (long) (r0 + r) * lda) * Float.BYTES, ap, at, k);
            if (int8) {
                float amax = 0f;
                for (int i = 0; i < k; i++) {
                    amax = Math.max(amax, Math.abs(ap[at + i]));
                }
                float inv = Quantization.inverseScale(amax);
                rowScales[r] = Quantization.scale(amax);
                for (int i = 0; i < k; i++) {
                    ap[at + i] = Quantization.quantize(ap[at + i], inv);
                }
            } else {
                for (int i = 0; i < k; i++) {
                    ap[at + i] = Quantization.roundBf16(ap[at + i]);
                }
            }
        }
        Arrays.fill(ap, rows * k, blockedRows * k, 0f);
        float[] bp = s.panel(k * nr);
        float[] init = s.tileRow(3 * nr); // per column of a panel: initial value, then INT8's scale and bias
        float[] tile = s.plainRows(blockedRows * nr);
        MemorySegment bias = w.bias();
        for (int p = p0; p < p1; p++) {
            long at = w.panelOffset(p, 0);
            // widen the panel (copied in bulk first): bf16 bits to the high half, or int8 to an integral float
            if (int8) {
                byte[] q = s.plainBytes(k * nr);
                MemorySegment.copy(w.panels(), JAVA_BYTE, at, q, 0, k * nr);
                for (int i = 0; i < k * nr; i++) {
                    bp[i] = q[i];
                }
            } else {
                short[] h = s.plainShorts(k * nr);
                MemorySegment.copy(w.panels(), JAVA_SHORT_UNALIGNED, at, h, 0, k * nr);
                for (int i = 0; i < k * nr; i++) {
                    bp[i] = Float.intBitsToFloat(h[i] << 16);
                }
            }
            int col0 = p * nr, cols = Math.min(nr, n - col0);
            if (bias != null && !int8) {
                MemorySegment.copy(bias, JAVA_FLOAT, (long) col0 * Float.BYTES, init, 0, nr);
            } else {
                Arrays.fill(init, 0, nr, 0f);
            }
            if (!int8 || k <= QuantGemmKernel.INT8_CHUNK) {
                // INT8: sums of at most INT8_CHUNK products of integers up to 127 in magnitude are exact in fp32 (the
                // SIMD kernel's own argument), so the fp32 block computes the int32 acc exactly.
                for (int j = 0; j < cols; j += 4) {
                    for (int r = 0; r < rows; r += 4) {
                        PlainGemm.block4x4(ap, r * k, k, bp, j, nr, init, tile, r * nr + j, nr);
                    }
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) {
                        int acc = 0;
                        for (int kk = 0, a0 = r * k, b0 = j; kk < k; kk++, b0 += nr) {
                            acc += (int) ap[a0 + kk] * (int) bp[b0];
                        }
                        tile[r * nr + j] = acc;
                    }
                }
            }
            if (int8) { // (float) acc * (sw * sa), then + bias only when there is one (-0.0 keeps its sign)
                MemorySegment.copy(w.scales(), JAVA_FLOAT, (long) col0 * Float.BYTES, init, nr, nr);
                if (bias != null) {
                    MemorySegment.copy(bias, JAVA_FLOAT, (long) col0 * Float.BYTES, init, 2 * nr, nr);
                }
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) {
                        float v = tile[r * nr + j] * (init[nr + j] * rowScales[r]);
                        tile[r * nr + j] = bias != null ? v + init[2 * nr + j] : v;
                    }
                }
            }
            PlainGemm.storeRows(tile, nr, c, cOff + (long) r0 * ldc + col0, ldc, rows, cols);
        }
    }
}
