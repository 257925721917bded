package org.vim4j.model;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

        int d = dim(patchW, 0), channels = dim(patchW, 1), patch = dim(patchW, 2);
        if (dim(patchW, 3) != patch) {
            throw new VimException(src + ": patch_embed.proj.weight " + java.util.Arrays.toString(patchW.shape())
                    + " has a non-square kernel; vim4j supports square patches");
        }
        int depth = 0;
        for (String name : sd.names()) {
            Matcher m = LAYER.matcher(name);
            if (m.matches()) {
                depth = Math.max(depth, Integer.parseInt(m.group(1)) + 1);
            }
        }
        int e = dim(inProj, 0) / 2;
        if (e % d != 0) {
            throw new VimException(src + ": in_proj gives d_inner " + e + ", not a multiple of embed_dim " + d);
        }
        int tokens = dim(pos, 1);
        int g = (int) Math.round(Math.sqrt(tokens - 1));
        if (g * g != tokens - 1) {
            throw new VimException(src + ": pos_embed has " + tokens + " positions; expected a square patch grid plus one class token");
        }
        int[] imgStride = resolveImageAndStride(sd.metadata(), imgSizeHint, strideHint, patch, g, src);
        return new VimConfig(imgStride[0], patch, imgStride[1], channels, d, depth, dim(aLog, 1), dim(conv, 2),
                e / d, dim(dtProj, 1), dim(head, 0), 1e-5f);
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
        try {
            return Integer.valueOf(v.trim());
        } catch (NumberFormatException ex) {
            throw new VimException(src + ": metadata " + key + "='" + v + "' is not an integer");
        }
    }

    private static Tensor require(StateDict sd, String name, int rank) {
        Tensor t = sd.get(name);
        if (t.rank() != rank) {
            throw new VimException(sd.source() + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + "; expected rank " + rank);
        }
        return t;
    }

    private static int dim(Tensor t, int i) {
        return Math.toIntExact(t.dim(i));
    }
}
