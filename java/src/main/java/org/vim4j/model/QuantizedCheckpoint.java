package org.vim4j.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

import org.vim4j.Precision;
import org.vim4j.VimConfig;
import org.vim4j.io.StateDict;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.Quantization;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * The tensors of a checkpoint stored for a precision ({@code vim4j convert --precision}; docs/precision.md,
 * "Quantized checkpoints"):
 *
 * <ul>
 * <li>FP32: every tensor F32 (an int8 weight dequantized, its scales dropped).
 * <li>BF16: the weights that run at the mode's precision ({@link WeightNames#quantizable}) as BF16, which is
 * lossless: the mode rounds them to exactly these values at load; every other float tensor BF16 as well (a documented,
 * measured choice: those run fp32 from the bf16 values).
 * <li>INT8: the weights that run at the mode's precision as I8 {@code <name>} + F32 {@code <name>_scale}, exactly the
 * {@link Quantization#int8} form the mode would compute at load (lossless for the mode); every other float tensor BF16
 * (the choice that brings Vim-Tiny under 8 MB; measured).
 * </ul>
 *
 * The metadata then says {@code vim4j.precision} (the API's {@code VimModel.PRECISION_METADATA}; this layer below the API
 * does not import it), which a load uses as the model's default precision.
 */
public final class QuantizedCheckpoint {
    /** safetensors data is little-endian whatever the host's order. */
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BF16_LE = ValueLayout.JAVA_SHORT.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private QuantizedCheckpoint() {
    }

    /**
     * {@code sd}'s tensors (already validated against {@code c}) stored for {@code precision}, allocated in
     * {@code arena}, in the source's order (each int8 weight followed by its scales).
     */
    public static SequencedMap<String, Tensor> convert(StateDict sd, VimConfig c, Precision precision, Arena arena) {
        VimWeights.validate(sd, c);
        Set<String> quantizable = WeightNames.quantizable(c);
        SequencedMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : sd.tensors().entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name.endsWith(WeightNames.SCALE_SUFFIX) && quantizable.contains(
                    name.substring(0, name.length() - WeightNames.SCALE_SUFFIX.length()))) {
                continue; // rewritten with its weight (or dropped, for a float result)
            }
            String scaleName = name + WeightNames.SCALE_SUFFIX;
            Tensor scale = sd.contains(scaleName) ? sd.get(scaleName) : null;
            long n = t.rank() == 0 ? 1 : t.dim(0);
            long k = t.numel() / Math.max(1, n);
            LinearSource source = new LinearSource(t.reshape(n, k), scale, null);
            if (precision == Precision.INT8 && quantizable.contains(name)) {
                Quantization.Int8Weight q = Quantization.int8(source, (int) n, (int) k, arena);
                out.put(name, Tensor.wrap(name, DType.I8, q.q().asSlice(0, n * k), t.shape()));
                out.put(scaleName, Tensor.wrap(scaleName, DType.F32, q.scales().asSlice(0, 4 * n), n));
            } else if (precision == Precision.FP32) {
                MemorySegment f = arena.allocate(4 * Math.max(1, t.numel()), 64).asSlice(0, 4 * t.numel());
                for (long i = 0; i < t.numel(); i++) {
                    f.setAtIndex(F32_LE, i, value(source, t, i, k));
                }
                out.put(name, Tensor.wrap(name, DType.F32, f, t.shape()));
            } else {
                MemorySegment b = arena.allocate(2 * Math.max(1, t.numel()), 64).asSlice(0, 2 * t.numel());
                for (long i = 0; i < t.numel(); i++) {
                    b.setAtIndex(BF16_LE, i, Quantization.toBf16(value(source, t, i, k)));
                }
                out.put(name, Tensor.wrap(name, DType.BF16, b, t.shape()));
            }
        }
        return out;
    }

    /** Element i of a float tensor, or of an int8 weight dequantized with its scales. */
    private static float value(LinearSource source, Tensor t, long i, long k) {
        return source.weightScale() == null ? t.getFloat(i)
                : Quantization.dequantized(source, (int) (i / k), (int) k, (int) (i % k));
    }
}
