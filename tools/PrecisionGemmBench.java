import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import org.vim4j.BackendKind;
import org.vim4j.Precision;
import org.vim4j.backend.Backends;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.tensor.Tensor;

/**
 * The vector backend's linear layer at FP32, BF16 and INT8 on Vim's projection shapes and a few GEMV-like ones
 * (docs/precision.md, "Backends"): best of 7 rounds per shape and precision, interleaved, after a warm-up pass.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED [-Dthreads=1] \
 *        -cp "cli/target/lib/*" tools/PrecisionGemmBench.java
 * </pre>
 */
public class PrecisionGemmBench {
    public static void main(String[] args) {
        int threads = Integer.parseInt(System.getProperty("threads", "1"));
        int[][] shapes = {{197, 192, 768}, {197, 384, 44}, {197, 384, 192}, {1, 192, 1000}, {1, 384, 768}, {1, 1536, 1536}, {197, 768, 3072}};
        String[] names = {"in_proj", "x_proj", "out_proj", "head(M=1)", "gemv 384x768", "gemv 1536x1536", "base in_proj"};
        try (Kernels k = Backends.create(BackendKind.VECTOR, threads); Arena arena = Arena.ofShared()) {
            Random r = new Random(1);
            for (int pass = 0; pass < 2; pass++)
            for (int s = 0; s < shapes.length; s++) {
                int m = shapes[s][0], kk = shapes[s][1], n = shapes[s][2];
                float[] w = new float[n * kk];
                for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() - 0.5f;
                Tensor wt = Tensor.copyOf(arena, "w", w, n, kk);
                MemorySegment a = arena.allocate(4L * m * kk, 64), c = arena.allocate(4L * m * n, 64);
                for (long i = 0; i < (long) m * kk; i++) a.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
                Precision[] ps = Precision.values();
                LinearWeight[] lw = new LinearWeight[3];
                for (int p = 0; p < 3; p++) lw[p] = k.prepareLinear(LinearSource.of(wt, null), ps[p], arena);
                double flops = 2.0 * m * kk * n;
                int reps = (int) Math.max(3, Math.min(20000, 2e8 / flops));
                double[] best = {1e30, 1e30, 1e30};
                for (int round = 0; round < 7; round++) {
                    for (int p = 0; p < 3; p++) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < reps; i++) k.linear(a, 0, kk, m, lw[p], c, 0, n);
                        best[p] = Math.min(best[p], (System.nanoTime() - t0) / 1e3 / reps);
                    }
                }
                if (pass == 1) System.out.printf("%-15s M=%-4d K=%-5d N=%-5d fp32 %8.1f us  bf16 %8.1f us (%.2fx)  int8 %8.1f us (%.2fx)%n",
                        names[s], m, kk, n, best[0], best[1], best[0] / best[1], best[2], best[0] / best[2]);
            }
        }
    }
}
