package org.vim4j.kernel;

import org.vim4j.VimException;
import org.vim4j.tensor.Tensor;

/**
 * What a linear layer is prepared from: its weight {@code W (N, K)} as the checkpoint holds it, the per-output-channel
 * scales when W is an int8 tensor of a quantized checkpoint ({@code W[j, k] = weight[j, k] * weightScale[j]}; null
 * otherwise), and the optional bias {@code (N)}.
 */
public record LinearSource(Tensor weight, Tensor weightScale, Tensor bias) {
    public LinearSource {
        if (weight == null) {
            throw new IllegalArgumentException("a linear layer needs a weight");
        }
    }

    /** N: the weight's first dimension, the layer's outputs. */
    public int outFeatures() {
        checkShape();
        return Math.toIntExact(weight.dim(0));
    }

    /** K: the weight's remaining dimensions flattened, the layer's inputs. */
    public int inFeatures() {
        checkShape();
        return Math.toIntExact(weight.numel() / weight.dim(0));
    }

    /** The weight must view as (N, K) with N, K >= 1: every backend reads it that way. */
    private void checkShape() {
        if (weight.rank() < 1 || weight.dim(0) <= 0 || weight.numel() == 0 || weight.numel() % weight.dim(0) != 0) {
            throw new VimException("linear weight '" + weight.name() + "': cannot view "
                    + java.util.Arrays.toString(weight.shape()) + " as (N, K) with N, K >= 1");
        }
    }

    /** A float weight (fp32, fp16, bf16 or fp64 tensor) and its optional bias. */
    public static LinearSource of(Tensor weight, Tensor bias) {
        return new LinearSource(weight, null, bias);
    }
}
