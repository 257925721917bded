package org.vim4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.BackendKind;
import org.vim4j.Precision;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/**
 * Options shared by every command that loads a model: the backend, threads and precision, and how to read a
 * checkpoint.
 */
final class ModelOptions {
    static final List<OptionSpec> OPTIONS;

    static {
        List<OptionSpec> o = new ArrayList<>(BackendOptions.OPTIONS);
        o.add(OptionSpec.value("--entry", "NAME", "State dict inside a training checkpoint: model | model_ema.", "model"));
        o.add(OptionSpec.value("--image-size", "N", "The checkpoint's training resolution, if it cannot be inferred."));
        o.add(OptionSpec.value("--stride", "N", "The checkpoint's patch stride, if it cannot be inferred."));
        o.add(OptionSpec.value("--precision", "MODE", "Arithmetic of the linear projections: fp32 | bf16 | int8 "
                + "(docs/precision.md). Default: -Dvim4j.precision, else the checkpoint's own (a quantized one from vim4j "
                + "convert --precision), else the backend's (fp32)."));
        OPTIONS = List.copyOf(o);
    }

    private final BackendOptions backendOptions;
    private final String entry;
    private final Integer imageSize;
    private final Integer stride;
    private final String precision;

    private ModelOptions(BackendOptions backendOptions, String entry, Integer imageSize, Integer stride, String precision) {
        this.backendOptions = backendOptions;
        this.entry = entry;
        this.imageSize = imageSize;
        this.stride = stride;
        this.precision = precision;
    }

    static ModelOptions from(ParsedArgs args) {
        return new ModelOptions(BackendOptions.from(args), args.string("--entry"), args.integer("--image-size"),
                args.integer("--stride"), args.string("--precision"));
    }

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
