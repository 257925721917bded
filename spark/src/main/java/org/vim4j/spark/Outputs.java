package org.vim4j.spark;

import java.util.Arrays;

/** Top-K of logits, as the CLI's classify reports it: indices by descending logit (ties: lower index first), softmax. */
public final class Outputs {
    private Outputs() {
    }

    /**
     * The indices of the {@code k} largest of {@code logits[off .. off + n)}, largest first: the order of a stable sort
     * by descending {@link Float#compare} (ties: the lower index first). A selection, O(n k), for the usual small k.
     */
    public static int[] topK(float[] logits, int off, int n, int k) {
        int m = Math.min(k, n);
        if (m > 16) {
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
            }
            Arrays.sort(idx, (a, b) -> Float.compare(logits[off + b], logits[off + a]));
            int[] out = new int[m];
            for (int i = 0; i < m; i++) {
                out[i] = idx[i];
            }
            return out;
        }
        int[] out = new int[m];
        boolean[] taken = new boolean[n];
        for (int i = 0; i < m; i++) {
            int best = -1;
            for (int j = 0; j < n; j++) {
                if (!taken[j] && (best < 0 || Float.compare(logits[off + j], logits[off + best]) > 0)) {
                    best = j;
                }
            }
            taken[best] = true;
            out[i] = best;
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
