package org.vim4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Top-K and probabilities as the CLI's classify computes them (a stable sort by descending logit, softmax). */
class OutputsTest {
    @Test
    void topKIsTheStableDescendingSortWithTiesNaNsAndSignedZeros() {
        Random r = new Random(1);
        for (int t = 0; t < 20_000; t++) {
            int n = 1 + r.nextInt(40), k = 1 + r.nextInt(n + 3), off = r.nextInt(3);
            float[] l = new float[n + off + 2];
            for (int i = 0; i < l.length; i++) {
                l[i] = r.nextInt(6) == 0 ? Float.NaN : r.nextInt(5) - 2 + (r.nextBoolean() ? 0 : 0.5f);
            }
            if (r.nextInt(10) == 0) {
                l[off] = -0.0f;
            }
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
            }
            Arrays.sort(idx, (x, y) -> Float.compare(l[off + y], l[off + x]));
            int[] want = new int[Math.min(k, n)];
            for (int i = 0; i < want.length; i++) {
                want[i] = idx[i];
            }
            assertArrayEquals(want, Outputs.topK(l, off, n, k), Arrays.toString(l) + " off " + off + " n " + n + " k " + k);
        }
    }

    @Test
    void probabilitiesAreTheSoftmaxOfTheChosenClasses() {
        float[] logits = {0, 1, 2, 3, 100, 1, 2, 3};
        float[] p = Outputs.probabilities(logits, 0, 4, new int[] {3, 0});
        double sum = 1 + Math.E + Math.exp(2) + Math.exp(3);
        assertEquals((float) (Math.exp(3) / sum), p[0]);
        assertEquals((float) (1 / sum), p[1]);
        assertEquals(1f, Outputs.probabilities(logits, 4, 1, new int[] {0})[0]);
    }
}
