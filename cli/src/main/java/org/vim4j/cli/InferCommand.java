package org.vim4j.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimSession;
import org.vim4j.io.npy.Npy;
import org.vim4j.OutputKind;
import org.vim4j.tensor.Tensor;
import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/**
 * {@code vim4j infer}: the interop contract with other implementations. Reads an already-normalised NCHW
 * float32 {@code .npy}, writes logits, class-token features or all tokens as {@code .npy}.
 */
final class InferCommand implements Command {
    static final CommandSpec SPEC = new CommandSpec("vim4j infer",
            "Run a checkpoint on a normalised NCHW float32 .npy batch and write the result as .npy.")
            .with(OptionSpec.required("--weights", "FILE", "Checkpoint (.pth or .safetensors)."),
                    OptionSpec.required("--input", "FILE", "Input .npy, shape (batch, 3, H, W), float32."),
                    OptionSpec.required("--output", "FILE", "Output .npy to write."),
                    OptionSpec.value("--output-kind", "KIND",
                            "logits (batch, classes) | cls (batch, D) | tokens (batch, tokens, D).", "logits"),
                    OptionSpec.flag("--json", "Print one JSON object describing the output instead of text."))
            .with(ModelOptions.OPTIONS);

    private final Path weights;
    private final Path input;
    private final Path output;
    private final String outputKind;
    private final boolean json;
    private final ModelOptions modelOptions;

    InferCommand(ParsedArgs args) {
        weights = args.path("--weights");
        input = args.path("--input");
        output = args.path("--output");
        outputKind = args.string("--output-kind");
        json = args.flag("--json");
        modelOptions = ModelOptions.from(args);
    }

    @Override
    public int run() {
        OutputKind kind = parseKind(outputKind);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(input, arena);
            if (x.rank() != 4) {
                throw new VimException(input + ": expected shape (batch, channels, height, width), got "
                        + java.util.Arrays.toString(x.shape()));
            }
            for (int i = 0; i < 4; i++) {
                if (x.dim(i) < 1 || x.dim(i) > Integer.MAX_VALUE) {
                    throw new VimException(input + ": shape " + java.util.Arrays.toString(x.shape()) + " has an empty or "
                            + "oversized dimension (each must be 1 to " + Integer.MAX_VALUE + ")");
                }
            }
            int batch = (int) x.dim(0), h = (int) x.dim(2), w = (int) x.dim(3);
            try (VimModel model = modelOptions.load(weights)) {
                if (x.dim(1) != model.config().channels()) {
                    throw new VimException(input + ": " + x.dim(1) + " channels, but the model expects "
                            + model.config().channels());
                }
                try (VimSession session = model.newSession(batch, h, w)) {
                    long n = session.outputFloats(kind, batch, h, w);
                    MemorySegment out = arena.allocate(n * 4, 64);
                    session.run(kind, x.data(), batch, h, w, out);
                    long[] shape = switch (kind) {
                        case LOGITS -> new long[] {batch, model.config().numClasses()};
                        case CLS -> new long[] {batch, model.config().embedDim()};
                        case TOKENS -> new long[] {batch, n / batch / model.config().embedDim(), model.config().embedDim()};
                    };
                    Npy.write(output, Tensor.wrap("output", org.vim4j.tensor.DType.F32, out, shape));
                    String dims = java.util.Arrays.toString(shape).replace(" ", "");
                    if (json) {
                        System.out.printf(java.util.Locale.ROOT, "{\"output\":%s,\"kind\":\"%s\",\"shape\":%s,\"backend\":\"%s\"}%n",
                                org.vim4j.io.json.Json.quote(output.toString()), outputKind.toLowerCase(java.util.Locale.ROOT), dims,
                                model.backend().id());
                    } else {
                        System.out.println("wrote " + output + " " + dims + " (" + outputKind + ", backend " + model.backend().id() + ")");
                    }
                }
            }
        }
        return 0;
    }

    static OutputKind parseKind(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "logits" -> OutputKind.LOGITS;
            case "cls" -> OutputKind.CLS;
            case "tokens" -> OutputKind.TOKENS;
            default -> throw new VimException("--output-kind '" + s + "': expected logits, cls or tokens");
        };
    }
}
