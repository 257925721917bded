package org.vim4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import picocli.CommandLine.Option;

import org.vim4j.cli.BackendOptions;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;

/**
 * Options shared by the timing commands: the CLI's {@code --backend} and {@code --threads} (same names, values and
 * defaults as {@code ./vim4j bench}), warm-up and how long to measure.
 */
final class RunOptions {
    /** The harness's one extra backend name: the fastest CPU backend (native if available, else vector), never CUDA. */
    static final String BEST = "best";

    @Option(names = "--backend", description = BackendOptions.BACKEND_HELP + " Also: best (native if available, else vector).")
    String backend;

    @Option(names = "--threads", description = BackendOptions.THREADS_HELP)
    Integer threads;

    @Option(names = "--warmup", defaultValue = "8", description = "warm-up seconds (JIT compilation; at least one run)")
    double warmupSeconds;

    @Option(names = "--seconds", defaultValue = "2", description = "time runs for at least this long")
    double seconds;

    @Option(names = "--min-runs", defaultValue = "3")
    int minRuns;

    @Option(names = "--max-runs", defaultValue = "100")
    int maxRuns;

    @Option(names = "--csv", description = "append result rows to this CSV file (header written when new)")
    Path csv;

    /** {@code --backend}, also accepting {@link #BEST}; without it, {@code -Dvim4j.backend} or auto, as the CLI. */
    BackendKind backend() {
        if (backend != null && backend.trim().equals(BEST)) {
            return Backends.isAvailable(BackendKind.NATIVE) ? BackendKind.NATIVE : BackendKind.VECTOR;
        }
        BackendKind kind = new BackendOptions(backend, threads).backend();
        return kind != null ? kind : Backends.selected();
    }

    /** {@code --threads}; without it, {@code -Dvim4j.threads} or all processors, as the CLI (SCALAR always uses 1). */
    int threads() {
        int t = new BackendOptions(backend, threads).threads();
        return t != 0 ? t : Backends.defaultThreads();
    }

    void append(ResultRow row) throws IOException {
        if (csv == null) {
            return;
        }
        if (!Files.exists(csv) || Files.size(csv) == 0) {
            Files.writeString(csv, ResultRow.HEADER + "\n", StandardCharsets.UTF_8);
        }
        Files.writeString(csv, row.csv() + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }
}
