package org.vim4j.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Locale;

import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.BackendKind;

/**
 * Which model an executor loads, and how: the key of the per-JVM {@link ModelCache}. Built on the driver from a
 * transformer's params and shipped with the task.
 *
 * @param weights   a checkpoint path or URI the executors can read; empty for the model embedded in vim4j
 * @param entry     the state dict of a training checkpoint ({@code model} or {@code model_ema})
 * @param backend   {@code auto}, {@code scalar}, {@code vector}, {@code native} or {@code cuda}
 * @param threads   kernel threads of the model (each task runs its batches on them)
 * @param precision {@code fp32}, or {@code tf32} for the CUDA backend's tensor-core GEMMs
 */
public record ModelSpec(String weights, String entry, String backend, int threads, String precision) implements Serializable {
    static final String PRECISION_PROPERTY = "vim4j.cuda.precision";

    public ModelSpec {
        weights = weights == null ? "" : weights.strip();
        entry = entry == null || entry.isBlank() ? "model" : entry.strip();
        backend = backend == null || backend.isBlank() ? "auto" : backend.strip().toLowerCase(Locale.ROOT);
        precision = precision == null || precision.isBlank() ? "fp32" : precision.strip().toLowerCase(Locale.ROOT);
        if (threads < 1) {
            throw new VimException("threads must be >= 1, got " + threads);
        }
        if (!precision.equals("fp32") && !precision.equals("tf32")) {
            throw new VimException("precision must be fp32 or tf32, got '" + precision + "'");
        }
        if (precision.equals("tf32") && !backend.equals("cuda") && !backend.equals("auto")) {
            throw new VimException("precision tf32 needs the cuda backend; backend '" + backend + "' computes in fp32");
        }
        backendKind(backend); // refuses unknown names
    }

    /** The embedded model. */
    boolean embedded() {
        return weights.isEmpty();
    }

    /** How the weights are named in messages. */
    String describe() {
        return embedded() ? "embedded fashion-mnist-vim" : weights;
    }

    /** The backend as vim4j's options name it; null for auto (vim4j's own choice: -Dvim4j.backend, else the fastest). */
    private static BackendKind backendKind(String name) {
        if (name.equals("auto")) {
            return null;
        }
        try {
            return BackendKind.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new VimException("unknown backend '" + name + "': expected auto, scalar, vector, native or cuda");
        }
    }

    VimOptions options() {
        return VimOptions.defaults().withBackend(backendKind(backend)).withThreads(threads).withEntry(entry);
    }

    /**
     * Loads the model. The CUDA GEMM precision is a JVM-wide property ({@code -Dvim4j.cuda.precision}) read at load
     * time, so it is set to this spec's for the load only (loads are serialised by the cache); CPU backends ignore it.
     */
    VimModel load() {
        Path local = embedded() ? null : WeightsFiles.localPath(weights);
        String previous = System.getProperty(PRECISION_PROPERTY);
        System.setProperty(PRECISION_PROPERTY, precision);
        try {
            return local == null ? VimModel.loadDefault(options()) : VimModel.load(local, options());
        } finally {
            if (previous == null) {
                System.clearProperty(PRECISION_PROPERTY);
            } else {
                System.setProperty(PRECISION_PROPERTY, previous);
            }
        }
    }
}
