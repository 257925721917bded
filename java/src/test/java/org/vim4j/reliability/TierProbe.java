package org.vim4j.reliability;

import java.util.SplittableRandom;

import org.vim4j.BackendKind;
import org.vim4j.VimConfig;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.backend.vector.KernelTier;

/**
 * Run by {@link KernelTierChoiceTest} in a child JVM (the tier is chosen once per JVM, from its JIT flags). Prints
 * {@code tier=<SIMD|PLAIN>}, the backend detail and, for each model of {@link #models()}, {@code logits<i>=<raw float bits in hex>} of
 * the vector backend on 2 threads.
 */
public final class TierProbe {
    /** The model's backend detail, as {@code vim4j info} and the backend log line print it. */
    static String detail;

    private TierProbe() {
    }

    /** The embedded model (28x28) and a random one whose widths leave channel tails at every vector width. */
    static float[][] logits() {
        float[][] out = new float[2][];
        VimOptions options = VimOptions.defaults().withBackend(BackendKind.VECTOR).withThreads(2);
        try (VimModel m = VimModel.loadDefault(options); VimSession s = m.newSession()) {
            detail = m.backendDetail();
            out[0] = s.logits(input(28 * 28, 31), 1, 28, 28);
        }
        VimConfig odd = new VimConfig(40, 8, 8, 3, 44, 2, 16, 4, 2, 3, 10, 1e-5f); // d_inner 88, 26 tokens
        try (VimModel m = VimModel.random(odd, 5, options); VimSession s = m.newSession(1, 40, 40)) {
            out[1] = s.logits(input(3 * 40 * 40, 32), 1, 40, 40);
        }
        return out;
    }

    static String bits(float[] v) {
        StringBuilder b = new StringBuilder();
        for (float x : v) {
            b.append(b.isEmpty() ? "" : " ").append(Integer.toHexString(Float.floatToRawIntBits(x)));
        }
        return b.toString();
    }

    private static float[] input(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    public static void main(String[] args) {
        System.out.println("tier=" + KernelTier.resolved());
        float[][] l = logits();
        System.out.println("detail=" + detail);
        for (int i = 0; i < l.length; i++) {
            System.out.println("logits" + i + "=" + bits(l[i]));
        }
    }
}
