package org.vim4j.cli;

import java.nio.file.Path;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.BackendKind;
import org.vim4j.Precision;

/** Options shared by every command that loads a model: the backend, threads and precision, and how to read a
 * checkpoint. */
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

    @Option(names = "--precision", paramLabel = "MODE", description = "Arithmetic of the linear projections: fp32 | bf16 | "
            + "int8 (docs/precision.md). Default: -Dvim4j.precision, else the checkpoint's own (a quantized one from "
            + "vim4j convert --precision), else the backend's (fp32).")
    String precision;

    /** The precision asked for, or null when {@code --precision} was not given. */
    Precision precision() {
        return precision == null ? null : Precision.parse(precision);
    }

    VimOptions toOptions() {
        BackendKind kind = backendOptions.backend();
        return new VimOptions(kind, backendOptions.threads(), entry, imageSize, stride, precision());
    }

    VimModel load(Path weights) {
        return VimModel.load(weights, toOptions());
    }
}
