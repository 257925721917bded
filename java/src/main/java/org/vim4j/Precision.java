package org.vim4j;

/**
 * The arithmetic of a model's linear projections (docs/precision.md). The selective scan, the norms, the conv, dt_proj
 * and the residual stream are fp32 in every mode.
 */
public enum Precision {
    /** fp32 weights and activations: the exact mode, the golden-test tolerance. */
    FP32,
    /** bf16 weights, activations rounded to bf16 (round to nearest even), products summed in fp32. */
    BF16,
    /**
     * int8 weights, symmetric per output channel; activations quantized to int8 per token at run time; products summed
     * exactly in int32, then scaled back to fp32.
     */
    INT8;

    /** The mode's name on the command line and in files: fp32, bf16, int8. */
    public String label() {
        return EnumLabels.label(this);
    }

    /** Parses fp32, bf16 or int8 (any case), naming what it expected otherwise. */
    public static Precision parse(String s) {
        return EnumLabels.parse(values(), s, "precision");
    }
}
