package org.vim4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vim4j.VimException;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * The reference arithmetic of the BF16 and INT8 modes (docs/precision.md), written once: the scalar backend computes
 * with it, the other backends are tested against it, and {@code vim4j convert --precision} writes its output.
 */
public final class Quantization {
    /** The largest int8 magnitude used: symmetric, so -128 never occurs. */
    public static final int INT8_MAX = 127;

    private Quantization() {
    }

    /** fp32 to bf16 bits, rounding to nearest even; a NaN stays a (quiet) NaN. */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** bf16 bits to fp32 (exact). */
    public static float fromBf16(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** {@code f} rounded to the nearest bf16 value, as fp32. */
    public static float roundBf16(float f) {
        return fromBf16(toBf16(f));
    }

    /** {@code 127 / amax} as one fp32 division, 0 for an all-zero (or non-finite-free zero) row. */
    public static float inverseScale(float amax) {
        return amax > 0f ? INT8_MAX / amax : 0f;
    }

    /** {@code amax / 127}: the scale of a row whose largest magnitude is {@code amax}. */
    public static float scale(float amax) {
        return amax / INT8_MAX;
    }

    /** {@code clamp(rint(v * inv), -127, 127)}. */
    public static byte quantize(float v, float inv) {
        float q = (float) Math.rint(v * inv);
        return (byte) Math.max(-INT8_MAX, Math.min(INT8_MAX, q));
    }

    /**
     * A linear weight {@code (n, k)} quantized per output channel: {@code q} (n*k bytes, row-major) and {@code scales}
     * (n floats), in {@code arena}. An int8 source with scales is taken as it is.
     */
    public record Int8Weight(MemorySegment q, MemorySegment scales, int n, int k) {
        public byte get(int j, int kk) {
            return q.get(ValueLayout.JAVA_BYTE, (long) j * k + kk);
        }

        public float scale(int j) {
            return scales.getAtIndex(ValueLayout.JAVA_FLOAT, j);
        }
    }

    /** The int8 form of {@code source}'s weight viewed as {@code (n, k)}: quantized from floats, or as stored. */
    public static Int8Weight int8(LinearSource source, int n, int k, Arena arena) {
        Tensor w = source.weight();
        MemorySegment q = arena.allocate((long) n * k, 64);
        MemorySegment s = arena.allocate(4L * n, 64);
        if (source.weightScale() != null) {
            Tensor sc = source.weightScale();
            if (w.dtype() != DType.I8 || sc.numel() != n) {
                throw new VimException("int8 weight '" + w.name() + "': expected I8 data with " + n + " scales, got "
                        + w.dtype() + " with " + sc.numel());
            }
            MemorySegment.copy(w.data(), 0, q, 0, (long) n * k);
            for (int j = 0; j < n; j++) {
                float v = sc.getFloat(j);
                if (!(v >= 0f) || Float.isInfinite(v)) {
                    throw new VimException("int8 weight '" + w.name() + "': scale " + j + " is " + v
                            + "; scales must be finite and >= 0");
                }
                s.setAtIndex(ValueLayout.JAVA_FLOAT, j, v);
            }
            for (long i = 0; i < (long) n * k; i++) {
                if (q.get(ValueLayout.JAVA_BYTE, i) == Byte.MIN_VALUE) {
                    throw new VimException("int8 weight '" + w.name() + "': holds -128; quantized weights are in [-127, 127]");
                }
            }
            return new Int8Weight(q, s, n, k);
        }
        for (int j = 0; j < n; j++) {
            float amax = 0f;
            for (int kk = 0; kk < k; kk++) {
                amax = Math.max(amax, Math.abs(w.getFloat((long) j * k + kk)));
            }
            if (!Float.isFinite(amax)) {
                throw new VimException("linear weight '" + w.name() + "': row " + j + " holds " + amax
                        + "; only finite weights can be quantized");
            }
            float inv = inverseScale(amax);
            s.setAtIndex(ValueLayout.JAVA_FLOAT, j, scale(amax));
            for (int kk = 0; kk < k; kk++) {
                q.set(ValueLayout.JAVA_BYTE, (long) j * k + kk, quantize(w.getFloat((long) j * k + kk), inv));
            }
        }
        return new Int8Weight(q, s, n, k);
    }

    /** The fp32 value of a weight element of either source kind (floats, or int8 times its row's scale). */
    public static float dequantized(LinearSource source, int j, int k, int kk) {
        Tensor w = source.weight();
        long i = (long) j * k + kk;
        if (source.weightScale() == null) {
            return w.getFloat(i);
        }
        return w.data().get(ValueLayout.JAVA_BYTE, i) * source.weightScale().getFloat(j);
    }
}
