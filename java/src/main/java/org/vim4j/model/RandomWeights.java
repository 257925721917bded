package org.vim4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;

import org.vim4j.VimConfig;
import org.vim4j.io.StateDict;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * Deterministic random weights with Mamba-like statistics, for benchmarks and tests that need a model of
 * a released size without its file. Activations stay O(1) and the scan is non-trivial (A_log = log n,
 * dt in [1e-3, 0.1]), so timings and numerics resemble a trained model's. Never for accuracy.
 */
public final class RandomWeights {
    private RandomWeights() {
    }

    public static StateDict create(VimConfig c, long seed) {
        Arena arena = Arena.ofShared();
        SplittableRandom rnd = new SplittableRandom(seed);
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : WeightNames.expectedShapes(c).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            MemorySegment seg = arena.allocate(Tensor.numel(shape) * 4, 64);
            long n = Tensor.numel(shape);
            for (long i = 0; i < n; i++) {
                seg.setAtIndex(JAVA_FLOAT, i, value(name, i, shape, rnd));
            }
            tensors.put(name, Tensor.wrap(name, DType.F32, seg, shape));
        }
        return new StateDict(Path.of("random-" + seed), arena, tensors,
                Map.of("vim4j.img_size", Integer.toString(c.imgSize()), "vim4j.stride", Integer.toString(c.stride()),
                        "vim4j.random", "true"));
    }

    private static float value(String name, long i, long[] shape, SplittableRandom rnd) {
        if (name.endsWith("A_log") || name.endsWith("A_b_log")) {
            return (float) Math.log(i % shape[1] + 1); // S4D-real init: A_n = -(n+1)
        }
        if (name.endsWith("mixer.D") || name.endsWith("mixer.D_b") || name.endsWith("norm.weight")
                || name.equals("norm_f.weight")) {
            return 1f;
        }
        if (name.endsWith("dt_proj.bias") || name.endsWith("dt_proj_b.bias")) {
            double dt = Math.exp(Math.log(1e-3) + rnd.nextDouble() * (Math.log(0.1) - Math.log(1e-3)));
            return (float) (dt + Math.log(-Math.expm1(-dt))); // inverse softplus
        }
        double std = name.contains("conv1d") ? 0.2 : name.contains("dt_proj") ? 0.3 : name.equals("pos_embed") ? 0.1 : 0.02;
        return (float) (gaussian(rnd) * std);
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1 - rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
