package org.vim4j.bench;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.vim4j.bench.deit.AttentionKind;

/**
 * One model, one shape, one backend, in this JVM alone, so the peak RSS it reports is that workload's. Prints one CSV
 * line (with {@code --header}, the header first) or one JSON object; appends to {@code --csv} if given.
 */
@Command(name = "e2e", mixinStandardHelpOptions = true, description = {"End-to-end latency, throughput and memory of one configuration.",
        "--backend also takes " + RunOptions.BEST + ": native if available, else vector."})
final class E2eCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "vim-tiny", description = "vim-tiny|vim-small|vim-base|deit-tiny|deit-small")
    String model;

    @Option(names = "--attention", defaultValue = "full", description = "DeiT attention: full|tiled")
    String attention;

    @Option(names = "--resolution", defaultValue = "224")
    int resolution;

    @Option(names = "--batch", defaultValue = "1")
    int batch;

    @Option(names = "--precision", defaultValue = "fp32", description = "Vim's linear projections: fp32|bf16|int8 (docs/precision.md)")
    String precision;

    @Option(names = "--json", description = "print JSON instead of CSV")
    boolean json;

    @Option(names = "--header", description = "print the CSV header first")
    boolean header;

    @Mixin
    RunOptions run;

    @Override
    public Integer call() throws Exception {
        AttentionKind kind = AttentionKind.valueOf(attention.toUpperCase(java.util.Locale.ROOT));
        ResultRow row;
        try (Workload w = Workloads.create(model, kind, run.backend(), run.threads(), resolution, batch,
                org.vim4j.Precision.parse(precision))) {
            Measurement m = Measurement.of(w, run.warmupSeconds, run.minRuns, run.maxRuns, run.seconds);
            row = ResultRow.of(w, m, PeakRss.bytes());
        }
        if (header && !json) {
            System.out.println(ResultRow.HEADER);
        }
        System.out.println(json ? row.json() : row.csv());
        run.append(row);
        return 0;
    }
}
