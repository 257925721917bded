package org.vim4j.cli;

import java.util.Locale;
import java.util.TreeMap;

import org.vim4j.VimModel;
import org.vim4j.VimSession;
import org.vim4j.io.json.Json;
import org.vim4j.VimConfig;
import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/** {@code vim4j info}: what a checkpoint is and what running it costs. */
final class InfoCommand implements Command {
    static final CommandSpec SPEC = new CommandSpec("vim4j info", "Show a model's config, size, backend and memory.")
            .with(OptionSpec.flag("--json", "Print one JSON object instead of text."))
            .with(WeightsOption.OPTIONS);

    private final boolean json;
    private final WeightsOption weights;

    InfoCommand(ParsedArgs args) {
        json = args.flag("--json");
        weights = WeightsOption.from(args);
    }

    @Override
    public int run() {
        try (VimModel model = weights.load(); VimSession s = model.newSession()) {
            VimConfig c = model.config();
            String vector = model.backendDetail();
            if (json) {
                StringBuilder meta = new StringBuilder();
                for (var e : new TreeMap<>(model.metadata()).entrySet()) {
                    meta.append(meta.isEmpty() ? "" : ",").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                }
                System.out.printf(Locale.ROOT,
                        "{\"weights\":%s,\"img_size\":%d,\"patch\":%d,\"stride\":%d,\"channels\":%d,\"embed_dim\":%d,"
                                + "\"depth\":%d,\"d_state\":%d,\"d_conv\":%d,\"d_inner\":%d,\"dt_rank\":%d,\"num_classes\":%d,"
                                + "\"tokens\":%d,\"parameters\":%d,\"backend\":\"%s\",\"precision\":\"%s\",\"weights_bytes\":%d,"
                                + "\"simd\":\"%s\",\"threads\":%d,"
                                + "\"workspace_bytes\":%d,\"metadata\":{%s}}%n",
                        Json.quote(weights.describe()), c.imgSize(), c.patchSize(), c.stride(), c.channels(), c.embedDim(),
                        c.depth(), c.dState(), c.dConv(), c.dInner(), c.dtRank(), c.numClasses(), c.nativeTokens(),
                        c.parameterCount(), model.backend().id(), model.precision().label(), model.weightBytes(), vector,
                        model.threads(), s.workspaceBytes(), meta);
            } else {
                System.out.printf(Locale.ROOT, "weights      %s%n", weights.describe());
                System.out.printf(Locale.ROOT, "input        %d x %d x %d (patch %d, stride %d: %dx%d grid, %d tokens with the middle class token)%n",
                        c.channels(), c.imgSize(), c.imgSize(), c.patchSize(), c.stride(), c.nativeGrid(), c.nativeGrid(),
                        c.nativeTokens());
                System.out.printf(Locale.ROOT, "blocks       %d x bimamba-v2 (D=%d, d_inner=%d, d_state=%d, d_conv=%d, dt_rank=%d)%n",
                        c.depth(), c.embedDim(), c.dInner(), c.dState(), c.dConv(), c.dtRank());
                System.out.printf(Locale.ROOT, "classes      %d%n", c.numClasses());
                System.out.printf(Locale.ROOT, "parameters   %,d (%.1f MB fp32)%n", c.parameterCount(), c.parameterCount() * 4 / 1e6);
                System.out.printf(Locale.ROOT, "backend      %s (%s), %d threads%n", model.backend().id(), vector,
                        model.threads());
                System.out.printf(Locale.ROOT, "precision    %s (weights %.1f MB at this precision)%n",
                        model.precision().label(), model.weightBytes() / 1e6);
                System.out.printf(Locale.ROOT, "workspace    %,d bytes for one %dx%d image%n", s.workspaceBytes(), c.imgSize(), c.imgSize());
                if (!model.metadata().isEmpty()) {
                    System.out.println("metadata");
                    new TreeMap<>(model.metadata()).forEach((k, v) -> System.out.printf("  %-20s %s%n", k, v));
                }
            }
        }
        return 0;
    }
}
