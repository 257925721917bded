package org.vim4j.cli;

import java.util.List;

import org.vim4j.VimException;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/**
 * {@code --backend} and {@code --threads}: which kernels run a model and on how many threads. Options of every
 * command that runs a model; the benchmarks harness declares the same two (with these help texts) and reads them
 * through this class.
 */
public final class BackendOptions {
    public static final String BACKEND_HELP = "scalar | vector | native | cuda | auto. Default: -Dvim4j.backend, else auto.";
    public static final String THREADS_HELP = "Kernel threads. Default: -Dvim4j.threads, else all processors.";
    static final List<OptionSpec> OPTIONS = List.of(OptionSpec.value("--backend", "NAME", BACKEND_HELP),
            OptionSpec.value("--threads", "N", THREADS_HELP));

    private final String backend;
    private final Integer threads;

    /**
     * @param backend the {@code --backend} value, or null when it was not given
     * @param threads the {@code --threads} value, or null when it was not given
     */
    public BackendOptions(String backend, Integer threads) {
        this.backend = backend;
        this.threads = threads;
    }

    static BackendOptions from(ParsedArgs args) {
        return new BackendOptions(args.string("--backend"), args.integer("--threads"));
    }

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
