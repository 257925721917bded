package org.vim4j.cli;

import java.nio.file.Path;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.BackendKind;

/** Options shared by every command that loads a model: the backend and threads, and how to read a checkpoint. */
final class ModelOptions {
    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--entry", defaultValue = "model",
            description = "State dict inside a training checkpoint: model | model_ema. Default: ${DEFAULT-VALUE}.")
    String entry;

    @Option(names = "--image-size", description = "The checkpoint's training resolution, if it cannot be inferred.")
    Integer imageSize;

    @Option(names = "--stride", description = "The checkpoint's patch stride, if it cannot be inferred.")
    Integer stride;

    VimOptions toOptions() {
        BackendKind kind = backendOptions.backend();
        return new VimOptions(kind, backendOptions.threads(), entry, imageSize, stride);
    }

    VimModel load(Path weights) {
        return VimModel.load(weights, toOptions());
    }
}
