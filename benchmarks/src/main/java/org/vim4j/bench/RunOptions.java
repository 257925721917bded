package org.vim4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

import picocli.CommandLine.Option;

import org.vim4j.BackendKind;

/** Options shared by the timing commands: backend, threads, warm-up and how long to measure. */
final class RunOptions {
    @Option(names = "--backend", defaultValue = "vector", description = "scalar|vector|native|best (native if available, else vector)")
    String backend;

    @Option(names = "--threads", defaultValue = "2", description = "kernel threads (SCALAR always uses 1)")
    int threads;

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

    BackendKind backend() {
        if (backend.trim().equals("best")) {
            return org.vim4j.backend.Backends.isAvailable(BackendKind.NATIVE) ? BackendKind.NATIVE : BackendKind.VECTOR;
        }
        return BackendKind.valueOf(backend.trim().toUpperCase(Locale.ROOT));
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
