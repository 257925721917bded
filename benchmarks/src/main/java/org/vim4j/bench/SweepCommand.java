package org.vim4j.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.vim4j.bench.deit.AttentionKind;
import org.vim4j.bench.deit.DeitConfig;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.VimConfig;

/**
 * The resolution sweep behind the paper's Figure 1: Vim vs DeiT (full and tiled attention) at each resolution, batch
 * and backend, in one JVM so every point shares the machine state of the same minutes. Each (model, backend) is
 * warmed up once (JIT) at 224 before its first point; every point still gets an untimed first run. Rows are
 * appended to the CSV as they finish, so an interrupted sweep keeps what it measured.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, description = "Vim vs DeiT over resolutions, batches and backends.")
final class SweepCommand implements Callable<Integer> {
    @Option(names = "--backends", defaultValue = "vector,native", split = ",", description = "unavailable ones are skipped")
    List<String> backends;

    // The paper's 738 is not tiled by 16-pixel patches, which vim4j refuses rather than drop edge pixels; PyTorch's
    // patch conv floors 738 to the same 46x46 grid that 736 gives exactly, so 736 is the same point.
    @Option(names = "--resolutions", defaultValue = "224,512,640,736,1024,1248", split = ",")
    List<Integer> resolutions;

    @Option(names = "--batches", defaultValue = "1,4", split = ",")
    List<Integer> batches;

    @Option(names = "--batch-token-limit", defaultValue = "8192",
            description = "batches above 1 only where batch x tokens <= this (keeps the full score matrix and the run time sane)")
    int batchTokenLimit;

    @Option(names = "--vim", defaultValue = "tiny")
    String vim;

    @Option(names = "--deit", defaultValue = "tiny")
    String deit;

    @Option(names = "--attention", defaultValue = "full,tiled", split = ",")
    List<String> attention;

    @Option(names = "--chart", description = "write the Figure-1-style PNG here")
    Path chart;

    @Mixin
    RunOptions run;

    private record Point(String model, AttentionKind kind, BackendKind backend, int resolution, int batch, double weight) {
    }

    @Override
    public Integer call() throws Exception {
        List<Point> points = new ArrayList<>();
        double total = 0;
        for (String b : backends) {
            BackendKind kind = BackendKind.valueOf(b.trim().toUpperCase(Locale.ROOT));
            if (!Backends.isAvailable(kind)) {
                System.err.println("sweep: skipping backend " + kind.id() + ": " + Backends.unavailable().get(kind));
                continue;
            }
            for (int batch : batches) {
                for (int r : resolutions) {
                    DeitConfig dc = DeitConfig.preset(deit, r);
                    if (batch > 1 && (long) batch * dc.tokens() > batchTokenLimit) {
                        continue;
                    }
                    VimConfig vc = VimConfig.preset(vim);
                    int vt = vc.gridSize(r) * vc.gridSize(r) + 1;
                    points.add(new Point("vim-" + vim, AttentionKind.FULL, kind, r, batch, cost(batch * ModelCost.vimMacs(vc, vt))));
                    for (String a : attention) {
                        points.add(new Point("deit-" + deit, AttentionKind.valueOf(a.trim().toUpperCase(Locale.ROOT)), kind, r, batch,
                                cost(batch * dc.macs())));
                    }
                }
            }
        }
        for (Point p : points) {
            total += p.weight;
        }
        Progress progress = new Progress(points.size(), total);
        java.util.Set<String> warmed = new java.util.HashSet<>();
        List<ResultRow> rows = new ArrayList<>();
        for (Point p : points) {
            String label = p.model + (p.model.startsWith("deit") ? "/" + p.kind.id() : "") + " " + p.backend.id() + " " + p.resolution
                    + "x" + p.resolution + " batch " + p.batch;
            progress.begin(label);
            try (Workload w = Workloads.create(p.model, p.kind, p.backend, run.threads(), p.resolution, p.batch)) {
                // JIT warm-up once per (model, backend, attention): later points reuse the compiled code.
                boolean first = warmed.add(p.model + p.kind + p.backend);
                Measurement m = Measurement.of(w, first ? run.warmupSeconds : 0, run.minRuns, run.maxRuns, run.seconds);
                ResultRow row = ResultRow.of(w, m, PeakRss.bytes());
                rows.add(row);
                run.append(row);
                System.out.println(row.csv());
                System.err.printf(Locale.ROOT, "    p50 %.1f ms, %.1f images/s, off-heap %.1f MiB, heap %d B/inference%n", row.p50Ms(),
                        row.imagesPerSecond(), row.offHeapBytes() / 1048576.0, row.heapBytesPerInference());
            }
            progress.end(p.weight);
        }
        if (chart != null) {
            SweepChart.write(rows, chart);
            System.err.println("sweep: chart written to " + chart);
        }
        return 0;
    }

    /** A rough cost in seconds, only for the progress estimate: runs at ~50 GFLOP/s plus the fixed measuring time. */
    private double cost(long macs) {
        return run.seconds + (run.minRuns + 1) * 2.0 * macs / 50e9;
    }
}
