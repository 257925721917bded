package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;

import org.vim4j.io.StateDict;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * DeiT's weights under timm's names ({@code blocks.i.attn.qkv.weight}, ...), placed for one backend: every Linear
 * through that backend's {@code prepareLinear}, so the projections run on exactly the GEMM Vim's do; the small vectors
 * (LayerNorm, cls, position embedding) copied into the model's arena.
 */
public final class DeitWeights {
    public final DeitConfig config;
    final MemorySegment clsToken, posEmbed, normW, normB;
    final LinearWeight patchEmbed, head;
    final Block[] blocks;

    record Block(MemorySegment norm1W, MemorySegment norm1B, LinearWeight qkv, LinearWeight proj, MemorySegment norm2W,
            MemorySegment norm2B, LinearWeight fc1, LinearWeight fc2) {
    }

    private DeitWeights(DeitConfig c, StateDict sd, Kernels k, Arena arena) {
        this.config = c;
        int d = c.dim();
        clsToken = copy(sd, "cls_token", d, arena);
        posEmbed = copy(sd, "pos_embed", (long) c.tokens() * d, arena);
        patchEmbed = k.prepareLinear(tensor(sd, "patch_embed.proj.weight", (long) d * c.patchInputs()).reshape(d, c.patchInputs()),
                tensor(sd, "patch_embed.proj.bias", d), arena);
        blocks = new Block[c.depth()];
        for (int i = 0; i < c.depth(); i++) {
            String p = "blocks." + i + ".";
            blocks[i] = new Block(copy(sd, p + "norm1.weight", d, arena), copy(sd, p + "norm1.bias", d, arena),
                    linear(sd, p + "attn.qkv", 3 * d, d, k, arena), linear(sd, p + "attn.proj", d, d, k, arena),
                    copy(sd, p + "norm2.weight", d, arena), copy(sd, p + "norm2.bias", d, arena),
                    linear(sd, p + "mlp.fc1", c.hidden(), d, k, arena), linear(sd, p + "mlp.fc2", d, c.hidden(), k, arena));
        }
        normW = copy(sd, "norm.weight", d, arena);
        normB = copy(sd, "norm.bias", d, arena);
        head = linear(sd, "head", c.numClasses(), d, k, arena);
    }

    /** Places {@code sd} (which the caller still owns) for {@code kernels}; copies live in {@code arena}. */
    public static DeitWeights place(StateDict sd, DeitConfig c, Kernels kernels, Arena arena) {
        return new DeitWeights(c, sd, kernels, arena);
    }

    /**
     * Deterministic random weights of {@code c}'s shape in a new arena (the StateDict owns it): Linear weights scaled
     * by 1/sqrt(fan-in) so activations stay O(1) through the depth, LayerNorm weights near 1. Timing only.
     */
    public static StateDict random(DeitConfig c, long seed) {
        Arena arena = Arena.ofShared();
        SplittableRandom rnd = new SplittableRandom(seed);
        SequencedMap<String, Tensor> t = new LinkedHashMap<>();
        int d = c.dim();
        put(t, arena, rnd, "cls_token", 0.5, 0, 1, 1, d);
        put(t, arena, rnd, "pos_embed", 0.5, 0, 1, c.tokens(), d);
        put(t, arena, rnd, "patch_embed.proj.weight", 1 / Math.sqrt(c.patchInputs()), 0, d, c.channels(), c.patch(), c.patch());
        put(t, arena, rnd, "patch_embed.proj.bias", 0.05, 0, d);
        for (int i = 0; i < c.depth(); i++) {
            String p = "blocks." + i + ".";
            put(t, arena, rnd, p + "norm1.weight", 0.1, 1, d);
            put(t, arena, rnd, p + "norm1.bias", 0.05, 0, d);
            put(t, arena, rnd, p + "attn.qkv.weight", 1 / Math.sqrt(d), 0, 3 * d, d);
            put(t, arena, rnd, p + "attn.qkv.bias", 0.05, 0, 3 * d);
            put(t, arena, rnd, p + "attn.proj.weight", 1 / Math.sqrt(d), 0, d, d);
            put(t, arena, rnd, p + "attn.proj.bias", 0.05, 0, d);
            put(t, arena, rnd, p + "norm2.weight", 0.1, 1, d);
            put(t, arena, rnd, p + "norm2.bias", 0.05, 0, d);
            put(t, arena, rnd, p + "mlp.fc1.weight", 1 / Math.sqrt(d), 0, c.hidden(), d);
            put(t, arena, rnd, p + "mlp.fc1.bias", 0.05, 0, c.hidden());
            put(t, arena, rnd, p + "mlp.fc2.weight", 1 / Math.sqrt(c.hidden()), 0, d, c.hidden());
            put(t, arena, rnd, p + "mlp.fc2.bias", 0.05, 0, d);
        }
        put(t, arena, rnd, "norm.weight", 0.1, 1, d);
        put(t, arena, rnd, "norm.bias", 0.05, 0, d);
        put(t, arena, rnd, "head.weight", 1 / Math.sqrt(d), 0, c.numClasses(), d);
        put(t, arena, rnd, "head.bias", 0.05, 0, c.numClasses());
        return new StateDict(Path.of("random-deit-" + seed), arena, t, Map.of("vim4j.random", "true"));
    }

    private static void put(SequencedMap<String, Tensor> t, Arena arena, SplittableRandom rnd, String name, double std,
            double mean, long... shape) {
        long n = Tensor.numel(shape);
        MemorySegment seg = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            double u = 1 - rnd.nextDouble(), v = rnd.nextDouble();
            seg.setAtIndex(JAVA_FLOAT, i, (float) (mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)));
        }
        t.put(name, Tensor.wrap(name, DType.F32, seg, shape));
    }

    private static Tensor tensor(StateDict sd, String name, long numel) {
        Tensor t = sd.get(name);
        if (t.numel() != numel) {
            throw new IllegalArgumentException("DeiT tensor '" + name + "' has " + t.numel() + " values, expected " + numel);
        }
        return t;
    }

    private static LinearWeight linear(StateDict sd, String prefix, int out, int in, Kernels k, Arena arena) {
        return k.prepareLinear(tensor(sd, prefix + ".weight", (long) out * in).reshape(out, in), tensor(sd, prefix + ".bias", out),
                arena);
    }

    private static MemorySegment copy(StateDict sd, String name, long numel, Arena arena) {
        Tensor t = tensor(sd, name, numel);
        MemorySegment seg = arena.allocate(numel * 4, 64);
        for (long i = 0; i < numel; i++) {
            seg.setAtIndex(JAVA_FLOAT, i, t.getFloat(i));
        }
        return seg;
    }
}
