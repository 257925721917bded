package org.vim4j.spark;

import java.util.Arrays;

/** Top-K of logits, as the CLI's classify reports it: indices by descending logit (ties: lower index first), softmax. */
public final class Outputs {
    private Outputs() {
    }

    /** The indices of the {@code k} largest of {@code logits[off .. off + n)}, largest first. */
    public static int[] topK(float[] logits, int off, int n, int k) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(logits[off + b], logits[off + a]));
        int[] out = new int[Math.min(k, n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    /** Softmax probabilities of the given classes over all {@code n} logits at {@code off}. */
    public static float[] probabilities(float[] logits, int off, int n, int[] classes) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, logits[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(logits[off + j] - max);
        }
        float[] p = new float[classes.length];
        for (int i = 0; i < classes.length; i++) {
            p[i] = (float) (Math.exp(logits[off + classes[i]] - max) / sum);
        }
        return p;
    }
}
