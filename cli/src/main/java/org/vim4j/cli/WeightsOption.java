package org.vim4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.vim4j.VimModel;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/** {@code --weights W} (optional: the embedded Fashion-MNIST model when absent) plus the model options. */
final class WeightsOption {
    static final List<OptionSpec> OPTIONS;

    static {
        List<OptionSpec> o = new ArrayList<>();
        o.add(OptionSpec.value("--weights", "FILE", "Checkpoint (.pth or .safetensors). Default: the embedded "
                + "Fashion-MNIST model."));
        o.addAll(ModelOptions.OPTIONS);
        OPTIONS = List.copyOf(o);
    }

    private final Path weights;
    private final ModelOptions modelOptions;

    private WeightsOption(Path weights, ModelOptions modelOptions) {
        this.weights = weights;
        this.modelOptions = modelOptions;
    }

    static WeightsOption from(ParsedArgs args) {
        return new WeightsOption(args.path("--weights"), ModelOptions.from(args));
    }

    VimModel load() {
        return weights == null ? VimModel.loadDefault(modelOptions.toOptions()) : modelOptions.load(weights);
    }

    String describe() {
        return weights == null ? "embedded fashion-mnist-vim" : weights.toString();
    }
}
