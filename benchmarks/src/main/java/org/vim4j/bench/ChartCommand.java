package org.vim4j.bench;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Redraws the sweep chart from a sweep CSV (e.g. after editing or merging runs). */
@Command(name = "chart", mixinStandardHelpOptions = true, description = "Draw the Figure-1-style PNG from a sweep CSV.")
final class ChartCommand implements Callable<Integer> {
    @Option(names = "--csv", required = true)
    Path csv;

    @Option(names = "--png", required = true)
    Path png;

    @Override
    public Integer call() throws Exception {
        SweepChart.write(ResultRow.read(csv), png);
        return 0;
    }
}
