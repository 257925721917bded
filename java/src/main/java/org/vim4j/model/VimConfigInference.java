package org.vim4j.model;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vim4j.VimConfig;
import org.vim4j.VimException;
import org.vim4j.io.StateDict;
import org.vim4j.tensor.Tensor;

/**
 * Recovers a {@link VimConfig} from a checkpoint's tensor shapes.
 *
 * <p>Every size is in the shapes except the (image size, stride) pair: the position embedding only
 * says the grid g. They come, in order, from explicit hints, the file's metadata ({@code vim4j.img_size}
 * / {@code vim4j.stride} written by our converter, or {@code args.input_size} of an official training
 * checkpoint), then the released models' 224 input if a whole stride fits, else stride = patch.
 * The result is checked against g, so a wrong guess is an error, never a silently wrong model.
 */
public final class VimConfigInference {
    private static final Pattern LAYER = Pattern.compile("layers\\.(\\d+)\\.norm\\.weight");

    private VimConfigInference() {
    }

    public static VimConfig infer(StateDict sd, Integer imgSizeHint, Integer strideHint) {
        String src = sd.source() == null ? "checkpoint" : sd.source().toString();
        Tensor patchW = require(sd, "patch_embed.proj.weight", 4);
        Tensor pos = require(sd, "pos_embed", 3);
        Tensor aLog = require(sd, "layers.0.mixer.A_log", 2);
        Tensor inProj = require(sd, "layers.0.mixer.in_proj.weight", 2);
        Tensor dtProj = require(sd, "layers.0.mixer.dt_proj.weight", 2);
        Tensor conv = require(sd, "layers.0.mixer.conv1d.weight", 3);
        Tensor head = require(sd, "head.weight", 2);

        // Every size is checked against a sane maximum before anything is derived from it: no division by zero, no int
        // overflow, and no plan sized by a hostile shape.
        int d = ConfigLimits.check(src, "embed_dim (patch_embed.proj.weight dim 0)", patchW.dim(0), ConfigLimits.MAX_EMBED_DIM);
        int channels = ConfigLimits.check(src, "channels (patch_embed.proj.weight dim 1)", patchW.dim(1),
                ConfigLimits.MAX_CHANNELS);
        int patch = ConfigLimits.check(src, "patch (patch_embed.proj.weight dim 2)", patchW.dim(2), ConfigLimits.MAX_PATCH);
        if (patchW.dim(3) != patch) {
            throw new VimException(src + ": patch_embed.proj.weight " + java.util.Arrays.toString(patchW.shape())
                    + " has a non-square kernel; vim4j supports square patches");
        }
        int depth = depth(sd, src);
        long inner2 = inProj.dim(0);
        if (inner2 % 2 != 0 || inner2 / 2 % d != 0) {
            throw new VimException(src + ": in_proj has " + inner2 + " outputs; expected 2 x d_inner, a multiple of embed_dim " + d);
        }
        int expand = ConfigLimits.check(src, "expand (in_proj outputs / 2 / embed_dim)", inner2 / 2 / d, ConfigLimits.MAX_EXPAND);
        if (pos.dim(0) != 1 || pos.dim(2) != d) {
            throw new VimException(src + ": pos_embed has shape " + java.util.Arrays.toString(pos.shape()) + "; expected [1, tokens, "
                    + d + "]");
        }
        long tokens = pos.dim(1);
        long g = tokens < 2 ? 0 : Math.round(Math.sqrt((double) (tokens - 1)));
        if (g < 1 || g > ConfigLimits.MAX_GRID || g * g != tokens - 1) {
            throw new VimException(src + ": pos_embed has " + tokens + " positions; expected a square patch grid (at most "
                    + ConfigLimits.MAX_GRID + " per side) plus one class token");
        }
        int states = ConfigLimits.check(src, "d_state (A_log dim 1)", aLog.dim(1), ConfigLimits.MAX_STATES);
        int dConv = ConfigLimits.check(src, "d_conv (conv1d kernel)", conv.dim(2), ConfigLimits.MAX_CONV);
        int rank = ConfigLimits.check(src, "dt_rank (dt_proj dim 1)", dtProj.dim(1), d);
        int classes = ConfigLimits.check(src, "classes (head dim 0)", head.dim(0), ConfigLimits.MAX_CLASSES);
        int[] imgStride = resolveImageAndStride(sd.metadata(), imgSizeHint, strideHint, patch, (int) g, src);
        return new VimConfig(imgStride[0], patch, imgStride[1], channels, d, depth, states, dConv, expand, rank, classes, 1e-5f);
    }

    /**
     * The number of blocks: the layer indices of {@code layers.<i>.norm.weight} must be exactly 0..depth-1. An index is
     * never trusted as a size: a single {@code layers.9999999.norm.weight} is a checkpoint with a gap, not ten million
     * layers to plan.
     */
    private static int depth(StateDict sd, String src) {
        java.util.BitSet seen = new java.util.BitSet();
        int count = 0;
        for (String name : sd.names()) {
            Matcher m = LAYER.matcher(name);
            if (m.matches()) {
                String digits = m.group(1);
                if (digits.length() > 6 || Integer.parseInt(digits) >= ConfigLimits.MAX_DEPTH) {
                    String layer = digits.length() <= 40 ? digits : digits.substring(0, 9) + "... (" + digits.length() + " digits)";
                    throw new VimException(src + ": tensor 'layers." + layer + ".norm.weight' names layer " + layer + "; at most "
                            + ConfigLimits.MAX_DEPTH + " layers are supported");
                }
                int i = Integer.parseInt(digits);
                if (!seen.get(i)) {
                    seen.set(i);
                    count++;
                }
            }
        }
        if (count == 0 || seen.nextClearBit(0) != count) {
            throw new VimException(src + ": the layers present are " + seen + "; expected layers 0.." + (count - 1)
                    + " without gaps (layers.<i>.norm.weight)");
        }
        return count;
    }

    static int[] resolveImageAndStride(Map<String, String> meta, Integer imgHint, Integer strideHint, int patch, int g,
            String src) {
        Integer img = imgHint != null ? imgHint : intMeta(meta, "vim4j.img_size", src);
        Integer stride = strideHint != null ? strideHint : intMeta(meta, "vim4j.stride", src);
        if (img != null || stride != null) { // stated facts: they must fit, or it is an error
            int[] r = complete(img, stride, patch, g);
            if (r == null) {
                throw new VimException(src + ": image size " + img + " / stride " + stride + " with patch " + patch
                        + " do not give the " + g + "x" + g + " patch grid of pos_embed");
            }
            return r;
        }
        // Guesses, most specific first; the first that reproduces the grid wins.
        Integer argsSize = intMeta(meta, "args.input_size", src);
        for (Integer guess : new Integer[] {argsSize, 224}) {
            if (guess != null) {
                int[] r = complete(guess, null, patch, g);
                if (r != null && r[1] <= patch) {
                    return r;
                }
            }
        }
        return complete(null, patch, patch, g);
    }

    /** Fills in the missing one of (image size, stride) so the grid is g; null if impossible. */
    private static int[] complete(Integer img, Integer stride, int patch, int g) {
        if (img == null) {
            img = (g - 1) * stride + patch;
        }
        if (stride == null) {
            if (g == 1) {
                stride = patch;
            } else if (img >= patch && (img - patch) % (g - 1) == 0 && (img - patch) / (g - 1) > 0) {
                stride = (img - patch) / (g - 1);
            } else {
                return null;
            }
        }
        if (stride <= 0 || img < patch || (img - patch) / stride + 1 != g) {
            return null;
        }
        return new int[] {img, stride};
    }

    private static Integer intMeta(Map<String, String> meta, String key, String src) {
        String v = meta.get(key);
        if (v == null) {
            return null;
        }
        String t = v.trim();
        if (t.isEmpty() || t.length() > 6 || !t.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new VimException(src + ": metadata " + key + " is not a whole number from 1 to " + ConfigLimits.MAX_IMAGE
                    + " (" + (v.length() > 40 ? v.length() + " characters" : "'" + v + "'") + ")");
        }
        return ConfigLimits.check(src, "metadata " + key, Long.parseLong(t), ConfigLimits.MAX_IMAGE);
    }

    private static Tensor require(StateDict sd, String name, int rank) {
        Tensor t = sd.get(name);
        if (t.rank() != rank) {
            throw new VimException(sd.source() + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + "; expected rank " + rank);
        }
        return t;
    }

}
