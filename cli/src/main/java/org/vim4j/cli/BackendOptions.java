package org.vim4j.cli;

import picocli.CommandLine.Option;

import org.vim4j.VimException;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;

/**
 * {@code --backend} and {@code --threads}: which kernels run a model and on how many threads. A picocli mixin of
 * every command that runs a model, and of the benchmarks harness.
 */
public final class BackendOptions {
    @Option(names = "--backend", description = "scalar | vector | native | cuda | auto (default: -Dvim4j.backend or auto).")
    String backend;

    @Option(names = "--threads", description = "Kernel threads (default: all processors).")
    Integer threads;

    /** The backend as given, or null when {@code --backend} was not. */
    public String backendName() {
        return backend;
    }

    /**
     * The backend asked for, resolved (and logged) by {@link Backends#resolve}, or null when {@code --backend} was not
     * given: then the {@code vim4j.backend} property decides, else the fastest available backend.
     *
     * @throws VimException if the name is unknown or the backend is unavailable
     */
    public BackendKind backend() {
        return backend == null ? null : Backends.resolve(backend);
    }

    /**
     * The kernel threads asked for, or 0 when {@code --threads} was not given (then the {@code vim4j.threads}
     * property, else all processors).
     *
     * @throws VimException if the count is below 1
     */
    public int threads() {
        if (threads != null && threads < 1) {
            throw new VimException("--threads must be >= 1, got " + threads);
        }
        return threads == null ? 0 : threads;
    }
}
