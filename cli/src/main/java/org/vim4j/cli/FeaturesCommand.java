package org.vim4j.cli;

import java.nio.file.Path;
import java.util.List;

import org.vim4j.VimModel;
import org.vim4j.VimSession;
import org.vim4j.image.ImageInput;
import org.vim4j.image.Preprocessing;
import org.vim4j.io.npy.Npy;
import org.vim4j.OutputKind;
import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/** {@code vim4j features}: class-token or all-token features of images, to {@code .npy}. */
final class FeaturesCommand implements Command {
    static final CommandSpec SPEC = new CommandSpec("vim4j features",
            "Extract features of images to .npy: (N, D) class-token or (N, tokens, D) all-token.")
            .positional("IMAGE", "Image files.", true)
            .with(OptionSpec.required("--output", "FILE", "Output .npy."),
                    OptionSpec.value("--kind", "KIND", "cls | tokens.", "cls"),
                    OptionSpec.flag("--json", "Print one JSON object instead of text."))
            .with(WeightsOption.OPTIONS);

    private final List<Path> images;
    private final Path output;
    private final String kind;
    private final boolean json;
    private final WeightsOption weights;

    FeaturesCommand(ParsedArgs args) {
        images = args.positionalPaths();
        output = args.path("--output");
        kind = args.string("--kind");
        json = args.flag("--json");
        weights = WeightsOption.from(args);
    }

    /**
     * One image at a time, each image's features appended to the .npy as they come: memory is one image's input
     * and features whatever the number of images (all-token features of 60,000 images are 9 GB at Vim-Tiny size).
     */
    @Override
    public int run() {
        OutputKind k = InferCommand.parseKind(kind);
        if (k == OutputKind.LOGITS) {
            throw new org.vim4j.VimException("--kind must be cls or tokens (use classify or infer for logits)");
        }
        try (VimModel model = weights.load()) {
            Preprocessing pre = model.preprocessing();
            int size = pre.outputSize();
            try (VimSession session = model.newSession(1, size, size)) {
                long per = session.outputFloats(k, 1, size, size);
                int d = model.config().embedDim();
                long[] shape = k == OutputKind.CLS ? new long[] {images.size(), d} : new long[] {images.size(), per / d, d};
                Progress progress = new Progress("features", images.size());
                Npy.write(output, shape, sink -> {
                    for (int i = 0; i < images.size(); i++) {
                        float[] x = ImageInput.fromFile(images.get(i), pre);
                        float[] f = k == OutputKind.CLS ? session.classFeatures(x, 1, size, size)
                                : session.tokenFeatures(x, 1, size, size);
                        sink.write(f, 0, f.length);
                        progress.update(i + 1, null);
                    }
                });
                if (json) {
                    System.out.printf("{\"output\":%s,\"shape\":%s,\"kind\":\"%s\"}%n",
                            org.vim4j.io.json.Json.quote(output.toString()), java.util.Arrays.toString(shape).replace(" ", ""),
                            kind.toLowerCase(java.util.Locale.ROOT));
                } else {
                    System.out.println("wrote " + output + " " + java.util.Arrays.toString(shape));
                }
            }
        }
        return 0;
    }
}
