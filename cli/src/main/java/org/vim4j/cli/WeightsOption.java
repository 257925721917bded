package org.vim4j.cli;

import java.nio.file.Path;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.vim4j.VimModel;

/** {@code --weights W} (optional: the embedded Fashion-MNIST model when absent) plus the model options. */
final class WeightsOption {
    @Option(names = "--weights", description = "Checkpoint (.pth or .safetensors). Default: the embedded Fashion-MNIST model.")
    Path weights;

    @Mixin
    ModelOptions modelOptions;

    VimModel load() {
        return weights == null ? VimModel.loadDefault(modelOptions.toOptions()) : modelOptions.load(weights);
    }

    String describe() {
        return weights == null ? "embedded fashion-mnist-vim" : weights.toString();
    }
}
