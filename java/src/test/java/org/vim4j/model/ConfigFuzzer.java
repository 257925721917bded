package org.vim4j.model;

import org.vim4j.VimConfig;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import org.vim4j.BackendKind;
import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.fuzz.FuzzFiles;
import org.vim4j.io.safetensors.SafetensorsWriter;
import org.vim4j.tensor.Tensor;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Structure-aware fuzzing of what a checkpoint's tensor names and shapes make vim4j plan: the input picks a small
 * valid Vim (dimensions, depth, grid, channels), then mutates the config-bearing parts a byte mutator could not
 * reach: layer indices in names (stray, huge, with leading zeros, missing), dropped and renamed tensors, dimensions
 * changed (zero, off by one, mismatched across tensors), and the size metadata and hints (vim4j.img_size,
 * vim4j.stride, args.input_size, --image-size, --stride). The file is a real safetensors file, loaded end to end
 * (inference of the config, limits, placing the weights) on the scalar backend. The contract: a model whose
 * config is within {@link ConfigLimits} and matches its pos_embed, or a refusal with a short message.
 */
class ConfigFuzzer {
    @FuzzTest(maxDuration = "3s")
    void config(FuzzedDataProvider data) {
        int d = 4 * data.consumeInt(1, 4), depth = data.consumeInt(1, 3), patch = data.consumeInt(1, 4);
        int grid = data.consumeInt(1, 3), channels = data.consumeInt(1, 3), classes = data.consumeInt(1, 5);
        int stride = data.consumeInt(1, patch);
        VimConfig base = new VimConfig((grid - 1) * stride + patch, patch, stride, channels, d, depth, data.consumeInt(1, 4),
                data.consumeInt(1, 4), data.consumeInt(1, 2), data.consumeInt(1, d), classes, 1e-5f);
        SequencedMap<String, long[]> shapes = new LinkedHashMap<>(WeightNames.expectedShapes(base));
        List<String> names = new ArrayList<>(shapes.keySet());
        int mutations = data.consumeInt(0, 6);
        for (int i = 0; i < mutations && !names.isEmpty(); i++) {
            String name = names.get(data.consumeInt(0, names.size() - 1));
            switch (data.consumeInt(0, 4)) {
                case 0 -> { // drop it
                    shapes.remove(name);
                    names.remove(name);
                }
                case 1 -> { // another layer index: stray, huge, leading zeros, or any text
                    String index = switch (data.consumeInt(0, 3)) {
                        case 0 -> Integer.toString(data.consumeInt(0, Integer.MAX_VALUE));
                        case 1 -> "0".repeat(data.consumeInt(1, 8)) + data.consumeInt(0, 9);
                        case 2 -> "9".repeat(data.consumeInt(1, 3000));
                        default -> data.consumeAsciiString(12);
                    };
                    String renamed = name.replaceFirst("^layers\\.\\d+\\.", java.util.regex.Matcher.quoteReplacement("layers." + index + "."));
                    long[] s = shapes.remove(name);
                    names.remove(name);
                    if (!shapes.containsKey(renamed)) {
                        shapes.put(renamed, s);
                        names.add(renamed);
                    }
                }
                case 2 -> { // one dimension changed: zero, off by one, or small arbitrary
                    long[] s = shapes.get(name);
                    if (s.length > 0) {
                        int dim = data.consumeInt(0, s.length - 1);
                        s[dim] = switch (data.consumeInt(0, 2)) {
                            case 0 -> 0;
                            case 1 -> Math.max(0, s[dim] + (data.consumeBoolean() ? 1 : -1));
                            default -> data.consumeInt(0, 64);
                        };
                    }
                }
                case 3 -> { // rank changed
                    long[] s = shapes.get(name);
                    long[] r = data.consumeBoolean() && s.length > 0 ? java.util.Arrays.copyOf(s, s.length - 1)
                            : java.util.Arrays.copyOf(s, s.length + 1);
                    if (r.length > s.length) {
                        r[r.length - 1] = 1;
                    }
                    shapes.put(name, r);
                }
                default -> { // a duplicate under another layer
                    String copy = name.replaceFirst("^layers\\.\\d+\\.", "layers." + data.consumeInt(0, 600) + ".");
                    if (!shapes.containsKey(copy)) {
                        shapes.put(copy, shapes.get(name).clone());
                        names.add(copy);
                    }
                }
            }
        }
        Map<String, String> meta = new HashMap<>();
        for (String key : new String[] {"vim4j.img_size", "vim4j.stride", "args.input_size"}) {
            if (data.consumeBoolean()) {
                meta.put(key, data.consumeBoolean() ? Integer.toString(data.consumeInt(-5, 100)) : data.consumeAsciiString(10));
            }
        }
        Integer imageHint = data.consumeBoolean() ? data.consumeInt(-2, 300) : null;
        Integer strideHint = data.consumeBoolean() ? data.consumeInt(-2, 8) : null;

        long elements = 0;
        for (long[] s : shapes.values()) {
            elements += Math.max(0, Tensor.numel(s));
        }
        if (elements > 4_000_000) {
            return; // small models only: the fuzzer explores structure, not size
        }
        Path file;
        try (Arena arena = Arena.ofConfined()) {
            SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
            shapes.forEach((n, s) -> tensors.put(n, Tensor.allocate(arena, n, s)));
            file = FuzzFiles.write("config.safetensors", new byte[0]);
            SafetensorsWriter.write(file, tensors, meta);
        }
        try (VimModel m = VimModel.load(file, new VimOptions(BackendKind.SCALAR, 1, null, imageHint, strideHint))) {
            VimConfig c = m.config();
            ConfigLimits.check("fuzz", "embed_dim", c.embedDim(), ConfigLimits.MAX_EMBED_DIM);
            ConfigLimits.check("fuzz", "depth", c.depth(), ConfigLimits.MAX_DEPTH);
            ConfigLimits.check("fuzz", "image", c.imgSize(), ConfigLimits.MAX_IMAGE);
            long[] pos = shapes.get("pos_embed");
            if (pos == null || pos.length != 3 || c.nativeTokens() != pos[1]) {
                throw new AssertionError("config " + c + " plans " + c.nativeTokens() + " tokens, pos_embed is "
                        + java.util.Arrays.toString(pos));
            }
        } catch (VimException refused) {
            FuzzFiles.requireMessage(refused);
            if (refused.getMessage().length() > 2000) {
                throw new AssertionError("a refusal of " + refused.getMessage().length() + " characters", refused);
            }
        } finally {
            file.toFile().delete();
        }
    }
}
