package org.vim4j.cli;

import java.nio.file.Path;

import picocli.CommandLine.Option;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;

/** Options shared by every command that loads a model. */
final class ModelOptions {
    @Option(names = "--backend", description = "scalar | vector | native | cuda | auto (default: -Dvim4j.backend or auto).")
    String backend;

    @Option(names = "--threads", description = "Kernel threads (default: all processors).")
    Integer threads;

    @Option(names = "--entry", defaultValue = "model",
            description = "State dict inside a training checkpoint: model | model_ema. Default: ${DEFAULT-VALUE}.")
    String entry;

    @Option(names = "--image-size", description = "The checkpoint's training resolution, if it cannot be inferred.")
    Integer imageSize;

    @Option(names = "--stride", description = "The checkpoint's patch stride, if it cannot be inferred.")
    Integer stride;

    VimOptions toOptions() {
        BackendKind kind = backend == null ? null : Backends.resolve(backend);
        if (threads != null && threads < 1) {
            throw new org.vim4j.VimException("--threads must be >= 1, got " + threads);
        }
        return new VimOptions(kind, threads == null ? 0 : threads, entry, imageSize, stride);
    }

    VimModel load(Path weights) {
        return VimModel.load(weights, toOptions());
    }
}
