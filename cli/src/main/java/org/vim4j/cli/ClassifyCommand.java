package org.vim4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimSession;
import org.vim4j.image.ImageInput;
import org.vim4j.image.Preprocessing;
import org.vim4j.io.json.Json;
import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/** {@code vim4j classify}: top-k labels with probabilities for each image, and the latency. */
final class ClassifyCommand implements Command {
    static final CommandSpec SPEC = new CommandSpec("vim4j classify",
            "Classify images (PNG/JPEG). Without --weights, uses the embedded Fashion-MNIST model.")
            .positional("IMAGE", "Image files.", true)
            .with(OptionSpec.value("--top", "K", "How many labels to show, 1 to the model's classes. Default: 5 (all, "
                    + "if fewer)."), OptionSpec.flag("--json", "Print one JSON object instead of text."))
            .with(WeightsOption.OPTIONS);

    private final List<Path> images;
    private final Integer top;
    private final boolean json;
    private final WeightsOption weights;

    ClassifyCommand(ParsedArgs args) {
        images = args.positionalPaths();
        top = args.integer("--top");
        json = args.flag("--json");
        weights = WeightsOption.from(args);
    }

    record Guess(int index, String label, double probability) {
    }

    /**
     * Classifies the images one at a time and prints each result as it comes (the JSON object too is written
     * as it grows), so memory does not grow with the number of images.
     */
    @Override
    public int run() {
        if (top != null && top < 1) {
            throw new VimException("--top " + top + ": must be at least 1 (and at most the model's classes)");
        }
        try (VimModel model = weights.load()) {
            Preprocessing pre = model.preprocessing();
            int size = pre.outputSize();
            List<String> labels = model.labels();
            int k = top == null ? Math.min(5, labels.size()) : top;
            if (k > labels.size()) {
                throw new VimException("--top " + top + ": must be between 1 and the model's " + labels.size() + " classes");
            }
            PrintStream out = System.out;
            try (VimSession session = model.newSession(1, size, size)) {
                if (json) {
                    out.printf(Locale.ROOT, "{\"model\":%s,\"backend\":\"%s\",\"precision\":\"%s\",\"results\":[",
                            Json.quote(weights.describe()), model.backend().id(), model.precision().label());
                } else {
                    out.printf(Locale.ROOT, "model %s (%s, %d classes), backend %s, %s, %d threads%n", weights.describe(),
                            describeConfig(model), labels.size(), model.backend().id(), model.precision().label(),
                            model.threads());
                }
                String sep = "";
                for (Path image : images) {
                    float[] x = ImageInput.fromFile(image, pre);
                    long t0 = System.nanoTime();
                    float[] logits = session.logits(x, 1, size, size);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    List<Guess> best = topK(logits, labels, k);
                    if (json) {
                        List<String> g = best.stream().map(b -> String.format(Locale.ROOT,
                                "{\"index\":%d,\"label\":%s,\"probability\":%.6f}", b.index(), Json.quote(b.label()),
                                b.probability())).toList();
                        out.printf(Locale.ROOT, "%s{\"image\":%s,\"latency_ms\":%.3f,\"top\":[%s]}", sep,
                                Json.quote(image.toString()), ms, String.join(",", g));
                        sep = ",";
                    } else {
                        out.printf(Locale.ROOT, "%s  (%.1f ms)%n", image, ms);
                        for (int i = 0; i < best.size(); i++) {
                            Guess b = best.get(i);
                            out.printf(Locale.ROOT, "  %d. %-28s %6.2f%%%n", i + 1, b.label(), 100 * b.probability());
                        }
                    }
                    out.flush();
                }
            }
            if (json) {
                out.println("]}");
            } else {
                out.println("(the first image's latency includes JIT warm-up; see `vim4j bench` for steady state)");
            }
        }
        return 0;
    }

    static String describeConfig(VimModel m) {
        var c = m.config();
        return String.format(Locale.ROOT, "D=%d depth=%d %dx%d input", c.embedDim(), c.depth(), c.imgSize(), c.imgSize());
    }

    /** Softmax probabilities of the k largest logits, largest first. */
    static List<Guess> topK(float[] logits, List<String> labels, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        Integer[] idx = new Integer[logits.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(logits[b], logits[a]));
        List<Guess> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int j = idx[i];
            out.add(new Guess(j, labels.get(j), Math.exp(logits[j] - max) / sum));
        }
        return out;
    }
}
