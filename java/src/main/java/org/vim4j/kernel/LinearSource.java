package org.vim4j.kernel;

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

    /** A float weight (fp32, fp16, bf16 or fp64 tensor) and its optional bias. */
    public static LinearSource of(Tensor weight, Tensor bias) {
        return new LinearSource(weight, null, bias);
    }
}
