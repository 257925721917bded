package org.vim4j.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.vim4j.Precision;
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
 * @param precision {@code auto} (the default: {@code -Dvim4j.precision}, else the checkpoint's own, else the
 *                  backend's), {@code fp32}, {@code bf16} or {@code int8} (the model's {@link Precision}:
 *                  docs/precision.md), or {@code tf32}: fp32 weights on the CUDA backend's tensor cores (TF32 inputs)
 */
public record ModelSpec(String weights, String entry, String backend, int threads, String precision) implements Serializable {
    static final String PRECISION_PROPERTY = "vim4j.cuda.precision";
    static final String AUTO = "auto", TF32 = "tf32";
    /** The values of the precision param, lower case: the last is CUDA's property rather than a model precision. */
    public static final List<String> PRECISIONS = List.of(AUTO, "fp32", "bf16", "int8", TF32);

    public ModelSpec {
        weights = weights == null ? "" : weights.strip();
        entry = entry == null || entry.isBlank() ? "model" : entry.strip();
        backend = backend == null || backend.isBlank() ? "auto" : backend.strip().toLowerCase(Locale.ROOT);
        precision = precision == null || precision.isBlank() ? AUTO : precision.strip().toLowerCase(Locale.ROOT);
        if (threads < 1) {
            throw new VimException("threads must be >= 1, got " + threads);
        }
        if (!PRECISIONS.contains(precision)) {
            throw new VimException("precision must be " + String.join(", ", PRECISIONS.subList(0, PRECISIONS.size() - 1))
                    + " or " + PRECISIONS.getLast() + ", got '" + precision + "'");
        }
        if (precision.equals(TF32) && !backend.equals("cuda") && !backend.equals("auto")) {
            throw new VimException("precision tf32 needs the cuda backend; backend '" + backend + "' computes in fp32"
                    + " (bf16 and int8 run on every CPU backend)");
        }
        if (precision.equals("int8") && backend.equals("cuda")) {
            throw new VimException("precision int8 does not run on the cuda backend (it runs fp32, tf32 and bf16); "
                    + "choose bf16, or a CPU backend for int8");
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

    /** The model precision this spec names: null for auto; tf32 is an fp32 model whose GEMMs CUDA runs in TF32. */
    Precision modelPrecision() {
        return switch (precision) {
            case AUTO -> null;
            case TF32 -> Precision.FP32;
            default -> Precision.parse(precision);
        };
    }

    VimOptions options() {
        return VimOptions.defaults().withBackend(backendKind(backend)).withThreads(threads).withEntry(entry)
                .withPrecision(modelPrecision());
    }

    /**
     * Loads the model. The CUDA GEMM mode of fp32 layers is a JVM-wide property ({@code -Dvim4j.cuda.precision}) read
     * at load time, so it is set for the load only (loads are serialised by the cache): tf32 for tf32, fp32 for an
     * explicit model precision (its fp32 layers stay exact), left as it is for auto; CPU backends ignore it.
     */
    VimModel load() {
        Path local = embedded() ? null : WeightsFiles.localPath(weights);
        if (precision.equals(AUTO)) {
            return local == null ? VimModel.loadDefault(options()) : VimModel.load(local, options());
        }
        String previous = System.getProperty(PRECISION_PROPERTY);
        System.setProperty(PRECISION_PROPERTY, precision.equals(TF32) ? TF32 : "fp32");
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
