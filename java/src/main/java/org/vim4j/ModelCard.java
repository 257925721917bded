package org.vim4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.vim4j.image.Preprocessing;
import org.vim4j.io.StateDict;
import org.vim4j.io.safetensors.SafetensorsReader;

/** What a checkpoint says about its use: labels and preprocessing; and where the embedded model lives. */
final class ModelCard {
    static final String EMBEDDED = "/org/vim4j/models/fashion-mnist-vim.safetensors";
    private static volatile List<String> imagenet;

    private ModelCard() {
    }

    static List<String> labels(VimConfig c, Map<String, String> meta) {
        String own = meta.get("vim4j.labels");
        if (own != null) {
            List<String> l = Arrays.asList(own.split(","));
            if (l.size() == c.numClasses()) {
                return List.copyOf(l);
            }
        }
        if (c.numClasses() == 1000) {
            return imagenetLabels();
        }
        List<String> l = new ArrayList<>();
        for (int i = 0; i < c.numClasses(); i++) {
            l.add("class " + i);
        }
        return List.copyOf(l);
    }

    static List<String> imagenetLabels() {
        List<String> l = imagenet;
        if (l == null) {
            try (InputStream in = ModelCard.class.getResourceAsStream("/org/vim4j/imagenet-classes.txt")) {
                if (in == null) {
                    throw new VimException("resource imagenet-classes.txt is missing from the vim4j jar");
                }
                l = List.copyOf(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
                imagenet = l;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return l;
    }

    /** What an image becomes for a grayscale model whose checkpoint states no mean/std: [0, 1] mapped to [-1, 1]. */
    static final float GRAY_MEAN = 0.5f, GRAY_STD = 0.5f;

    /**
     * How images are prepared for this model: the checkpoint's own {@code vim4j.mean}/{@code vim4j.std} when it
     * states them (one value per input channel), else ImageNet's for an RGB model and mean 0.5, std 0.5 for a
     * grayscale one (the model's channel count decides, never an assumed 3).
     *
     * @param source names the checkpoint in messages
     * @throws VimException if the model's input is neither 1 nor 3 channels, or the metadata is malformed
     */
    static Preprocessing preprocessing(VimConfig c, Map<String, String> meta, String source) {
        int channels = c.channels();
        if (channels != 1 && channels != 3) {
            throw new VimException(source + ": the model takes " + channels + "-channel input; images can be prepared "
                    + "for 1 (grayscale) or 3 (RGB) channels only (run it on a prepared .npy with 'infer')");
        }
        String mean = meta.get("vim4j.mean"), std = meta.get("vim4j.std");
        if (mean == null && std == null) {
            return channels == 1 ? Preprocessing.grayscale(c.imgSize(), GRAY_MEAN, GRAY_STD) : Preprocessing.imagenet(c.imgSize());
        }
        float[] m = floats(source, "vim4j.mean", mean, channels, false), s = floats(source, "vim4j.std", std, channels, true);
        return channels == 1 ? Preprocessing.grayscale(c.imgSize(), m[0], s[0]) : new Preprocessing(0, 0, c.imgSize(), channels, m, s);
    }

    /** {@code channels} comma-separated finite numbers (positive ones for a std), or a message naming the key. */
    private static float[] floats(String source, String key, String csv, int channels, boolean positive) {
        if (csv == null) {
            throw new VimException(source + ": metadata has " + (key.endsWith("mean") ? "vim4j.std but no vim4j.mean"
                    : "vim4j.mean but no vim4j.std"));
        }
        String[] p = csv.split(",", -1);
        if (p.length != channels) {
            throw new VimException(source + ": metadata " + key + " has " + p.length + " value(s); the model's input has "
                    + channels + " channel(s)");
        }
        float[] f = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            String v = p[i].strip();
            float x;
            try {
                x = v.matches("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?") ? Float.parseFloat(v) : Float.NaN;
            } catch (NumberFormatException e) {
                x = Float.NaN;
            }
            if (!Float.isFinite(x) || (positive && x <= 0)) {
                throw new VimException(source + ": metadata " + key + " value '" + (v.length() <= 20 ? v : v.substring(0, 17) + "...")
                        + "' is not a " + (positive ? "positive" : "finite") + " number");
            }
            f[i] = x;
        }
        return f;
    }

    /**
     * The embedded checkpoint, read from the jar into off-heap memory: no temporary file, so loading it any number of
     * times leaves nothing behind and works where the temporary directory is not writable (581 KB per loaded model).
     */
    static StateDict embeddedModel() {
        InputStream in = ModelCard.class.getResourceAsStream(EMBEDDED);
        if (in == null) {
            throw new VimException("the embedded model " + EMBEDDED + " is missing from the vim4j jar");
        }
        return SafetensorsReader.read("the embedded model (vim4j-core jar, " + EMBEDDED.substring(1) + ")", in);
    }
}
