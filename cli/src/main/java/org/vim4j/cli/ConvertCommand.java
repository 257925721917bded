package org.vim4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import org.vim4j.io.checkpoint.CheckpointReader;
import org.vim4j.io.StateDict;
import org.vim4j.io.safetensors.SafetensorsWriter;
import org.vim4j.VimConfig;
import org.vim4j.model.VimConfigInference;

/**
 * {@code vim4j convert}: a .pth checkpoint's state dict to .safetensors (memory-mapped, zero-copy loading, no
 * pickle). The inferred image size and stride go into the metadata so nothing has to be guessed again.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a .pth checkpoint (or its model_ema) to .safetensors.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Input .pth (or .safetensors).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output .safetensors.")
    Path out;

    @Option(names = "--entry", defaultValue = "model", description = "model | model_ema. Default: ${DEFAULT-VALUE}.")
    String entry;

    @Option(names = "--image-size", description = "Training resolution, if it cannot be inferred.")
    Integer imageSize;

    @Option(names = "--stride", description = "Patch stride, if it cannot be inferred.")
    Integer stride;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
        try (StateDict sd = CheckpointReader.read(in, entry)) {
            VimConfig c = VimConfigInference.infer(sd, imageSize, stride);
            Map<String, String> meta = new LinkedHashMap<>(sd.metadata());
            meta.put("vim4j.img_size", Integer.toString(c.imgSize()));
            meta.put("vim4j.stride", Integer.toString(c.stride()));
            meta.put("vim4j.source", in.getFileName().toString());
            SafetensorsWriter.write(out, sd.tensors(), meta);
            if (json) {
                System.out.printf(java.util.Locale.ROOT, "{\"output\":%s,\"tensors\":%d,\"parameters\":%d,\"img_size\":%d,\"stride\":%d}%n",
                        org.vim4j.io.json.Json.quote(out.toString()), sd.size(), c.parameterCount(), c.imgSize(), c.stride());
                return 0;
            }
            System.out.printf("wrote %s: %d tensors, %,d parameters (D=%d, depth=%d, %dx%d input, stride %d)%n", out,
                    sd.size(), c.parameterCount(), c.embedDim(), c.depth(), c.imgSize(), c.imgSize(), c.stride());
        }
        return 0;
    }
}
