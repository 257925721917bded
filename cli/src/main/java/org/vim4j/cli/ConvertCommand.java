package org.vim4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vim4j.io.checkpoint.CheckpointReader;
import org.vim4j.io.StateDict;
import org.vim4j.io.safetensors.SafetensorsWriter;
import java.lang.foreign.Arena;

import org.vim4j.Precision;
import org.vim4j.VimConfig;
import org.vim4j.VimModel;
import org.vim4j.model.QuantizedCheckpoint;
import org.vim4j.model.VimConfigInference;
import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/**
 * {@code vim4j convert}: a .pth checkpoint's state dict to .safetensors (memory-mapped, zero-copy loading, no
 * pickle). The inferred image size and stride go into the metadata so nothing has to be guessed again. With
 * {@code --precision} the tensors are stored for that mode ({@link QuantizedCheckpoint}).
 */
final class ConvertCommand implements Command {
    static final CommandSpec SPEC = new CommandSpec("vim4j convert",
            "Convert a .pth checkpoint (or its model_ema) to .safetensors.")
            .positional("IN", "Input .pth (or .safetensors).", false)
            .positional("OUT", "Output .safetensors.", false)
            .with(OptionSpec.value("--entry", "NAME", "model | model_ema.", "model"),
                    OptionSpec.value("--image-size", "N", "Training resolution, if it cannot be inferred."),
                    OptionSpec.value("--stride", "N", "Patch stride, if it cannot be inferred."),
                    OptionSpec.value("--precision", "MODE", "Store for fp32 | bf16 | int8 (docs/precision.md): int8 "
                            + "writes the projections, patch embedding and head as I8 + F32 <name>_scale and the other "
                            + "tensors as BF16; bf16 writes every tensor BF16; fp32 every tensor F32. The file's metadata "
                            + "names the precision, which loading uses unless --precision says otherwise. Default: the "
                            + "tensors as they are."),
                    OptionSpec.flag("--json", "Print one JSON object instead of text."));

    private final Path in;
    private final Path out;
    private final String entry;
    private final Integer imageSize;
    private final Integer stride;
    private final String precision;
    private final boolean json;

    ConvertCommand(ParsedArgs args) {
        List<Path> paths = args.positionalPaths();
        in = paths.get(0);
        out = paths.get(1);
        entry = args.string("--entry");
        imageSize = args.integer("--image-size");
        stride = args.integer("--stride");
        precision = args.string("--precision");
        json = args.flag("--json");
    }

    @Override
    public int run() {
        try (StateDict sd = CheckpointReader.read(in, entry)) {
            VimConfig c = VimConfigInference.infer(sd, imageSize, stride);
            Map<String, String> meta = new LinkedHashMap<>(sd.metadata());
            meta.put("vim4j.img_size", Integer.toString(c.imgSize()));
            meta.put("vim4j.stride", Integer.toString(c.stride()));
            meta.put("vim4j.source", in.getFileName().toString());
            int written = sd.size();
            if (precision == null) {
                SafetensorsWriter.write(out, sd.tensors(), meta);
            } else {
                Precision p = Precision.parse(precision);
                meta.put(VimModel.PRECISION_METADATA, p.label());
                try (Arena arena = Arena.ofConfined()) {
                    var tensors = QuantizedCheckpoint.convert(sd, c, p, arena);
                    written = tensors.size();
                    SafetensorsWriter.write(out, tensors, meta);
                }
            }
            if (json) {
                System.out.printf(java.util.Locale.ROOT, "{\"output\":%s,\"tensors\":%d,\"parameters\":%d,\"img_size\":%d,\"stride\":%d,"
                        + "\"precision\":%s,\"bytes\":%d}%n", org.vim4j.io.json.Json.quote(out.toString()), written,
                        c.parameterCount(), c.imgSize(), c.stride(),
                        precision == null ? "null" : "\"" + Precision.parse(precision).label() + "\"", size(out));
                return 0;
            }
            System.out.printf("wrote %s: %d tensors, %,d parameters (D=%d, depth=%d, %dx%d input, stride %d)%s, %,d bytes%n",
                    out, written, c.parameterCount(), c.embedDim(), c.depth(), c.imgSize(), c.imgSize(), c.stride(),
                    precision == null ? "" : ", stored for " + Precision.parse(precision).label(), size(out));
        }
        return 0;
    }

    private static long size(Path p) {
        try {
            return java.nio.file.Files.size(p);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
