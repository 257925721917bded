package org.vim4j.model;

import java.util.LinkedHashMap;
import java.util.SequencedMap;

import org.vim4j.VimConfig;

/** The official state-dict keys and shapes for a config (docs/vim-spec.md §4), in the official order. */
public final class WeightNames {
    /**
     * Appended to a weight's key for the per-output-channel scales of an int8 weight in a quantized checkpoint
     * ({@code vim4j convert --precision int8}): {@code layers.0.mixer.in_proj.weight_scale}.
     */
    public static final String SCALE_SUFFIX = "_scale";

    private WeightNames() {
    }

    /**
     * The weights a quantized checkpoint may store as int8 ({@code I8 <name>} with {@code F32 <name>_scale}, one scale
     * per output channel, the first dimension): the mixers' projections, which run at the model's precision, and the
     * patch embedding and head (docs/precision.md, "Which layers"). Every other tensor must be floating point.
     */
    public static java.util.Set<String> quantizable(VimConfig c) {
        java.util.Set<String> s = new java.util.LinkedHashSet<>();
        s.add("patch_embed.proj.weight");
        for (int i = 0; i < c.depth(); i++) {
            for (String w : PROJECTIONS) {
                s.add(layer(i, w));
            }
        }
        s.add("head.weight");
        return s;
    }

    /** The mixer projections of one layer: these run at the model's precision. */
    public static final java.util.List<String> PROJECTIONS = java.util.List.of("mixer.in_proj.weight",
            "mixer.x_proj.weight", "mixer.x_proj_b.weight", "mixer.out_proj.weight");

    public static String layer(int i, String suffix) {
        return "layers." + i + "." + suffix;
    }

    public static SequencedMap<String, long[]> expectedShapes(VimConfig c) {
        long d = c.embedDim(), e = c.dInner(), n = c.dState(), k = c.dConv(), r = c.dtRank();
        SequencedMap<String, long[]> m = new LinkedHashMap<>();
        m.put("cls_token", new long[] {1, 1, d});
        m.put("pos_embed", new long[] {1, c.nativeTokens(), d});
        m.put("patch_embed.proj.weight", new long[] {d, c.channels(), c.patchSize(), c.patchSize()});
        m.put("patch_embed.proj.bias", new long[] {d});
        m.put("head.weight", new long[] {c.numClasses(), d});
        m.put("head.bias", new long[] {c.numClasses()});
        for (int i = 0; i < c.depth(); i++) {
            m.put(layer(i, "mixer.A_log"), new long[] {e, n});
            m.put(layer(i, "mixer.D"), new long[] {e});
            m.put(layer(i, "mixer.A_b_log"), new long[] {e, n});
            m.put(layer(i, "mixer.D_b"), new long[] {e});
            m.put(layer(i, "mixer.in_proj.weight"), new long[] {2 * e, d});
            m.put(layer(i, "mixer.conv1d.weight"), new long[] {e, 1, k});
            m.put(layer(i, "mixer.conv1d.bias"), new long[] {e});
            m.put(layer(i, "mixer.x_proj.weight"), new long[] {r + 2 * n, e});
            m.put(layer(i, "mixer.dt_proj.weight"), new long[] {e, r});
            m.put(layer(i, "mixer.dt_proj.bias"), new long[] {e});
            m.put(layer(i, "mixer.conv1d_b.weight"), new long[] {e, 1, k});
            m.put(layer(i, "mixer.conv1d_b.bias"), new long[] {e});
            m.put(layer(i, "mixer.x_proj_b.weight"), new long[] {r + 2 * n, e});
            m.put(layer(i, "mixer.dt_proj_b.weight"), new long[] {e, r});
            m.put(layer(i, "mixer.dt_proj_b.bias"), new long[] {e});
            m.put(layer(i, "mixer.out_proj.weight"), new long[] {d, e});
            m.put(layer(i, "norm.weight"), new long[] {d});
        }
        m.put("norm_f.weight", new long[] {d});
        return m;
    }
}
