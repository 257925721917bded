package org.vim4j.example.embedding;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.imageio.ImageIO;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.WarmUp;
import org.vim4j.image.ImageInput;
import org.vim4j.image.Preprocessing;

/**
 * vim4j in a JVM application, start to finish: load the model shipped inside vim4j, turn an image into its input,
 * classify it, and take its features, on the calling thread and then on a small pool of threads.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ... org.vim4j.example.embedding.Classify [IMAGE...]
 * java --add-modules jdk.incubator.vector --enable-native-access=org.vim4j,org.vim4j.bindings \
 *      --module-path ... -m org.vim4j.example.embedding/org.vim4j.example.embedding.Classify [IMAGE...]
 * </pre>
 *
 * Without arguments it classifies the two Fashion-MNIST images in its resources.
 */
public final class Classify {
    private Classify() {
    }

    public static void main(String[] args) throws Exception {
        // One model per application: loading is the expensive part, and a model is thread-safe. The embedded model
        // (Fashion-MNIST, 28x28 grayscale) is read from the vim4j jar; VimModel.load(path) reads a .pth or .safetensors.
        // A service warms the model to steady state before it takes requests, so that its first requests do not share
        // the cores with the JIT compiler (WarmUp.STEADY; the default, QUICK, suits a one-shot program). It logs one
        // INFO line saying how long that took.
        try (VimModel model = VimModel.loadDefault(VimOptions.defaults().withWarmUp(WarmUp.STEADY))) {
            System.out.println("model: " + model.config().embedDim() + "-wide, " + model.config().depth() + " layers, "
                    + model.labels().size() + " classes; backend " + model.backend().id() + " (" + model.backendDetail()
                    + "), up to " + model.threads() + " kernel threads");

            // The model says how its inputs are made: size, channels, normalisation.
            Preprocessing prep = model.preprocessing();
            int size = prep.outputSize();
            List<String> names = new ArrayList<>();
            List<float[]> inputs = new ArrayList<>();
            if (args.length == 0) {
                for (String resource : new String[] {"sneaker.png", "bag.png"}) {
                    names.add(resource);
                    inputs.add(ImageInput.fromImage(readResource(resource), prep));
                }
            } else {
                for (String file : args) {
                    names.add(file);
                    inputs.add(ImageInput.fromFile(Path.of(file), prep));
                }
            }

            // A session is one thread's workspace: create it once, reuse it for every call on that thread.
            try (VimSession session = model.newSession(1, size, size)) {
                for (int i = 0; i < inputs.size(); i++) {
                    float[] logits = session.logits(inputs.get(i), 1, size, size);
                    float[] features = session.classFeatures(inputs.get(i), 1, size, size);
                    System.out.println(names.get(i) + ": " + top(model.labels(), logits, 3) + "; features: "
                            + features.length + " floats, first " + String.format("%.4f", features[0]));
                }
            }

            // Many threads: share the model, give each thread its own session. Here two workers classify every image.
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<String>> answers = new ArrayList<>();
                for (int w = 0; w < 2; w++) {
                    answers.add(pool.submit(() -> {
                        StringBuilder sb = new StringBuilder();
                        try (VimSession session = model.newSession(1, size, size)) {
                            for (float[] input : inputs) {
                                float[] logits = session.logits(input, 1, size, size);
                                sb.append(sb.isEmpty() ? "" : ", ").append(model.labels().get(argmax(logits)));
                            }
                        }
                        return sb.toString();
                    }));
                }
                for (int w = 0; w < answers.size(); w++) {
                    System.out.println("worker " + w + ": " + answers.get(w).get());
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    private static BufferedImage readResource(String name) throws IOException {
        try (InputStream in = Classify.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing");
            }
            return ImageIO.read(in);
        }
    }

    /** The {@code k} most likely labels with their softmax probabilities. */
    static String top(List<String> labels, float[] logits, int k) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        boolean[] taken = new boolean[logits.length];
        StringBuilder sb = new StringBuilder();
        for (int n = 0; n < k && n < logits.length; n++) {
            int best = -1;
            for (int i = 0; i < logits.length; i++) {
                if (!taken[i] && (best < 0 || p[i] > p[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            sb.append(n == 0 ? "" : ", ").append(labels.get(best)).append(String.format(" %.1f%%", 100 * p[best] / sum));
        }
        return sb.toString();
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
