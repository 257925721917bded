package org.vim4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.vim4j.bench.jmh.ConvBench;
import org.vim4j.bench.jmh.GemmBench;
import org.vim4j.bench.jmh.MixerBench;
import org.vim4j.bench.jmh.RmsNormBench;
import org.vim4j.bench.jmh.ScanBench;
import org.vim4j.backend.Backends;

/**
 * The JMH kernel suite, then one table: time per call, achieved GFLOP/s (compute kernels) or GB/s (memory-bound ones),
 * and that as a percentage of the measured peak passed in ({@code --peak-gflops} per thread from the FMA probe,
 * {@code --peak-gbps} for one core's bandwidth). Percentages use peak x threads. Writes CSV and a Markdown table.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true, description = "Run the JMH kernel suite and report % of peak.")
final class KernelsCommand implements Callable<Integer> {
    @Option(names = "--include", defaultValue = "org.vim4j.bench.jmh.", description = "JMH benchmark regex prefix")
    String include;

    @Option(names = "--backends", defaultValue = "vector,native", split = ",")
    List<String> backends;

    @Option(names = "--threads", defaultValue = "1,2", split = ",")
    List<String> threads;

    @Option(names = "--warmup-iterations", defaultValue = "3")
    int warmupIterations;

    @Option(names = "--iterations", defaultValue = "3")
    int iterations;

    @Option(names = "--iteration-seconds", defaultValue = "1")
    double iterationSeconds;

    @Option(names = "--peak-gflops", defaultValue = "0", description = "fp32 FMA peak of one core, GFLOP/s (0: no % column)")
    double peakGflops;

    @Option(names = "--peak-gbps", defaultValue = "0", description = "one core's bandwidth for the memory-bound kernels, GB/s")
    double peakGbps;

    @Option(names = "--csv")
    Path csv;

    @Option(names = "--markdown")
    Path markdown;

    @Override
    public Integer call() throws Exception {
        List<String> available = backends.stream().map(String::trim)
                .filter(b -> Backends.isAvailable(org.vim4j.BackendKind.valueOf(b.toUpperCase(Locale.ROOT)))).toList();
        // The compute kernels run on 1 and on all requested threads; the tiny memory-bound ones (a few microseconds,
        // where a second thread only adds dispatch cost) on 1 thread.
        List<RunResult> results = new ArrayList<>();
        results.addAll(run(available, "(GemmBench|MixerBench|ScanBench)", threads));
        results.addAll(run(available, "(ConvBench|RmsNormBench)", List.of("1")));
        return report(results);
    }

    private Collection<RunResult> run(List<String> available, String which, List<String> threadCounts) throws Exception {
        ChainedOptionsBuilder o = new OptionsBuilder().include(include + which).forks(1)
                .warmupIterations(warmupIterations).measurementIterations(iterations)
                .warmupTime(TimeValue.milliseconds((long) (iterationSeconds * 1000)))
                .measurementTime(TimeValue.milliseconds((long) (iterationSeconds * 1000)))
                .jvmArgsPrepend("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC")
                .param("backend", available.toArray(String[]::new)).param("threads", threadCounts.toArray(String[]::new));
        String cacheDir = System.getProperty("vim4j.native.cacheDir");
        if (cacheDir != null) {
            o.jvmArgsAppend("-Dvim4j.native.cacheDir=" + cacheDir);
        }
        return new Runner(o.build()).run();
    }

    private int report(List<RunResult> results) throws IOException {
        List<String[]> table = new ArrayList<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark().replaceAll(".*\\.jmh\\.", "");
            String backend = r.getParams().getParam("backend");
            int t = Integer.parseInt(r.getParams().getParam("threads"));
            String shape = r.getParams().getParam("shape");
            double us = r.getPrimaryResult().getScore();
            double secs = us / 1e6;
            String what, rate, pct;
            if (bench.startsWith("GemmBench") || bench.startsWith("MixerBench") || bench.startsWith("ScanBench")) {
                double flops = bench.startsWith("GemmBench") ? GemmBench.flops(shape)
                        : bench.startsWith("MixerBench") ? MixerBench.flops() : 6 * ScanBench.stateUpdates();
                double g = flops / secs / 1e9;
                what = bench.startsWith("ScanBench") ? String.format(Locale.ROOT, "%.2f Gupdate/s (1 exp each)",
                        ScanBench.stateUpdates() / secs / 1e9) : "";
                rate = String.format(Locale.ROOT, "%.1f GFLOP/s", g);
                pct = peakGflops > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * g / (peakGflops * t)) : "-";
            } else {
                double bytes = bench.startsWith("RmsNormBench") ? RmsNormBench.bytes() : ConvBench.bytes();
                double g = bytes / secs / 1e9;
                what = "";
                rate = String.format(Locale.ROOT, "%.1f GB/s", g);
                pct = peakGbps > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * g / (peakGbps * t)) : "-";
            }
            table.add(new String[] {bench, shape == null ? "-" : shape.replaceAll(":.*", ""), backend, Integer.toString(t),
                    String.format(Locale.ROOT, "%.2f", us), rate, pct, what});
        }
        StringBuilder md = new StringBuilder("| kernel | shape | backend | threads | us/call | achieved | % of peak | note |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        StringBuilder cs = new StringBuilder("kernel,shape,backend,threads,us_per_call,achieved,pct_of_peak,note\n");
        for (String[] row : table) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
            cs.append(String.join(",", row)).append('\n');
        }
        System.out.print(md);
        write(csv, cs.toString());
        write(markdown, md.toString());
        return 0;
    }

    private static void write(Path p, String s) throws IOException {
        if (p != null) {
            Files.writeString(p, s);
        }
    }
}
