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

    static Preprocessing preprocessing(VimConfig c, Map<String, String> meta) {
        String mean = meta.get("vim4j.mean"), std = meta.get("vim4j.std");
        if (mean != null && std != null) {
            float[] m = floats(mean), s = floats(std);
            if (c.channels() == 1) {
                return Preprocessing.grayscale(c.imgSize(), m[0], s[0]);
            }
            return new Preprocessing(0, 0, c.imgSize(), c.channels(), m, s);
        }
        return Preprocessing.imagenet(c.imgSize());
    }

    private static float[] floats(String csv) {
        String[] p = csv.split(",");
        float[] f = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            f[i] = Float.parseFloat(p[i].trim());
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
