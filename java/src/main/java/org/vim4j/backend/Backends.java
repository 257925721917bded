package org.vim4j.backend;

import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

import org.vim4j.BackendKind;
import org.vim4j.VimException;
import org.vim4j.backend.cuda.CudaKernels;
import org.vim4j.backend.cuda.CudaLibrary;
import org.vim4j.backend.ffm.NativeAccess;
import org.vim4j.backend.ffm.NativeKernels;
import org.vim4j.backend.ffm.NativeLibrary;
import org.vim4j.backend.scalar.ScalarKernels;
import org.vim4j.backend.vector.KernelTier;
import org.vim4j.backend.vector.VectorKernels;
import org.vim4j.kernel.Kernels;

/**
 * Chooses the backend once per JVM and says so in one log line.
 *
 * <p>{@code -Dvim4j.backend=scalar|vector|native|cuda|auto} (default auto: the fastest available).
 * NATIVE is available when {@link NativeLibrary} loaded {@code libvim4j.so} (its ISA tier is logged); CUDA when
 * {@link CudaLibrary} loaded {@code libvim4j_cuda.so} and found a GPU (the device is logged), so {@code auto} picks
 * it ahead of the CPU backends.
 * Forcing an unavailable backend is an error naming why it is unavailable. The INFO line names the
 * chosen backend, its vector width and default thread count, and why each faster backend was skipped,
 * so nobody runs the slow path without knowing.
 */
public final class Backends {
    public static final String BACKEND_PROPERTY = "vim4j.backend";
    public static final String THREADS_PROPERTY = "vim4j.threads";
    /** The slowest backend {@code auto} may end on; below it, loading fails with the reasons instead of running slowly. */
    public static final String MINIMUM_PROPERTY = "vim4j.backend.minimum";
    /** GEMM precision of the CUDA backend: fp32 (default) or tf32. */
    public static final String CUDA_PRECISION_PROPERTY = "vim4j.cuda.precision";

    private static final System.Logger LOG = System.getLogger("org.vim4j");
    private static volatile BackendKind selected;

    private Backends() {
    }

    /** Why each backend cannot run here; absent from the map means available. */
    public static Map<BackendKind, String> unavailable() {
        Map<BackendKind, String> why = new EnumMap<>(BackendKind.class);
        for (BackendKind k : BackendKind.values()) {
            String reason = unavailableReason(k);
            if (reason != null) {
                why.put(k, reason);
            }
        }
        return why;
    }

    /**
     * Why {@code kind} cannot run here, or null when it can. Probes that backend alone: a forced backend does not pay
     * for loading and binding the others' libraries (the native one's took ~65 ms of a one-shot vector run).
     */
    static String unavailableReason(BackendKind kind) {
        return switch (kind) {
            case SCALAR -> null;
            case VECTOR -> ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()
                    ? "module jdk.incubator.vector is not loaded (run java with --add-modules jdk.incubator.vector)" : null;
            case NATIVE -> {
                NativeLibrary.Status nat = NativeLibrary.status();
                yield nat.available() ? null : nat.reason();
            }
            case CUDA -> {
                CudaLibrary.Status cuda = CudaLibrary.status();
                yield cuda.available() ? null : cuda.reason();
            }
        };
    }

    public static boolean isAvailable(BackendKind kind) {
        return unavailableReason(kind) == null;
    }

    /** The backend named by {@code vim4j.backend} (or auto), resolved and logged once per JVM. */
    public static BackendKind selected() {
        BackendKind k = selected;
        if (k == null) {
            synchronized (Backends.class) {
                k = selected;
                if (k == null) {
                    k = resolve(System.getProperty(BACKEND_PROPERTY, "auto"));
                    selected = k;
                }
            }
        }
        return k;
    }

    /** Resolves a backend name ({@code auto} or a kind); logs the choice and the reasons for skipping others. */
    public static BackendKind resolve(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        // auto probes every backend; a forced one only itself (its log line calls the others "not requested")
        Map<BackendKind, String> why = n.equals("auto") ? unavailable() : new EnumMap<>(BackendKind.class);
        BackendKind chosen;
        if (n.equals("auto")) {
            chosen = BackendKind.SCALAR;
            for (BackendKind k : BackendKind.values()) {
                if (!why.containsKey(k)) {
                    chosen = k; // values() runs slowest to fastest
                }
            }
        } else {
            try {
                chosen = BackendKind.valueOf(n.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new VimException("unknown backend '" + name + "': expected scalar, vector, native, cuda or auto");
            }
            String reason = unavailableReason(chosen);
            if (reason != null) {
                throw new VimException("backend '" + chosen.id() + "' was requested but is unavailable: " + reason);
            }
        }
        BackendKind minimum = minimum();
        if (chosen.ordinal() < minimum.ordinal()) {
            why = unavailable();
            throw new VimException("backend '" + chosen.id() + "' is below -D" + MINIMUM_PROPERTY + "=" + minimum.id() + ": "
                    + reasons(chosen, why) + fixes(chosen, why));
        }
        if (n.equals("auto") && chosen.ordinal() < BackendKind.VECTOR.ordinal()) {
            // The scalar reference is ~60x slower than the vector backend: never let anyone run it without knowing.
            LOG.log(Level.WARNING, describe(chosen, n, why) + fixes(chosen, why));
        } else {
            LOG.log(Level.INFO, describe(chosen, n, why));
        }
        return chosen;
    }

    private static BackendKind minimum() {
        String m = System.getProperty(MINIMUM_PROPERTY, "scalar").trim().toUpperCase(Locale.ROOT);
        try {
            return BackendKind.valueOf(m);
        } catch (IllegalArgumentException e) {
            throw new VimException("-D" + MINIMUM_PROPERTY + "=" + System.getProperty(MINIMUM_PROPERTY)
                    + ": expected scalar, vector, native or cuda");
        }
    }

    private static String reasons(BackendKind chosen, Map<BackendKind, String> why) {
        StringBuilder sb = new StringBuilder();
        for (BackendKind k : BackendKind.values()) {
            if (k.ordinal() > chosen.ordinal() && why.containsKey(k)) {
                sb.append(sb.isEmpty() ? "" : "; ").append(k.id()).append(" unavailable: ").append(why.get(k));
            }
        }
        return sb.toString();
    }

    /** The exact steps that would give a faster backend than {@code chosen}. */
    private static String fixes(BackendKind chosen, Map<BackendKind, String> why) {
        StringBuilder sb = new StringBuilder();
        if (chosen.ordinal() < BackendKind.VECTOR.ordinal() && why.containsKey(BackendKind.VECTOR)) {
            sb.append(" To run the Vector API backend, start java with --add-modules jdk.incubator.vector.");
        }
        if (chosen.ordinal() < BackendKind.NATIVE.ordinal() && why.containsKey(BackendKind.NATIVE)
                && NativeAccess.denied() != null) {
            sb.append(" For the native backend, start java with ").append(NativeAccess.flag()).append('.');
        } else if (chosen.ordinal() < BackendKind.NATIVE.ordinal() && why.containsKey(BackendKind.NATIVE)) {
            sb.append(" For the native backend (").append(why.get(BackendKind.NATIVE)).append("): put the vim4j-native jar on ")
                    .append("the class path or module path, make its cache directory writable (-D")
                    .append(NativeLibrary.CACHE_DIR_PROPERTY).append("=DIR) or point -D").append(NativeLibrary.DIR_PROPERTY)
                    .append(" at a directory holding libvim4j.so, and start java with ").append(NativeAccess.flag()).append('.');
        }
        return sb.toString();
    }

    static String describe(BackendKind chosen, String requested, Map<BackendKind, String> why) {
        StringBuilder sb = new StringBuilder("vim4j backend ").append(chosen.id())
                .append(" (").append(requested.equals("auto") ? "auto" : "forced")
                .append(", ").append(detail(chosen)).append(", ").append(chosen == BackendKind.SCALAR ? 1 : defaultThreads()).append(" threads)");
        for (BackendKind k : BackendKind.values()) {
            if (k.ordinal() > chosen.ordinal()) {
                sb.append("; skipped ").append(k.id()).append(": ")
                        .append(why.getOrDefault(k, "not requested (vim4j.backend=" + requested + ")"));
            }
        }
        return sb.toString();
    }

    /**
     * What distinguishes a backend's kernels on this machine: the vector width, the native ISA tier, or the GPU and its
     * GEMM precision (for logs, {@code vim4j info} and benchmarks).
     */
    public static String detail(BackendKind kind) {
        return switch (kind) {
            case SCALAR -> "scalar reference";
            case VECTOR -> VectorKernels.vectorBits() + "-bit vectors, " + KernelTier.resolved().describe();
            case NATIVE -> NativeLibrary.status().isa() + " ISA";
            case CUDA -> CudaLibrary.status().device() + ", " + System.getProperty(CUDA_PRECISION_PROPERTY, "fp32") + " GEMMs";
        };
    }

    /** Threads per model unless options say otherwise: {@code -Dvim4j.threads}, else all processors. */
    public static int defaultThreads() {
        String p = System.getProperty(THREADS_PROPERTY);
        if (p != null) {
            try {
                int t = Integer.parseInt(p.trim());
                if (t >= 1 && t <= 4 * Runtime.getRuntime().availableProcessors()) {
                    return t;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
            throw new VimException("-D" + THREADS_PROPERTY + "=" + p + ": expected a whole number from 1 to "
                    + 4 * Runtime.getRuntime().availableProcessors() + " (4 x the processors here)");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** A new kernels instance of {@code kind} for one model, with its own runtime of {@code threads} threads. */
    public static Kernels create(BackendKind kind, int threads) {
        String why = unavailableReason(kind);
        if (why != null) {
            throw new VimException("backend '" + kind.id() + "' is unavailable: " + why);
        }
        return switch (kind) {
            case SCALAR -> new ScalarKernels();
            case VECTOR -> new VectorKernels(threads);
            case NATIVE -> new NativeKernels(threads);
            case CUDA -> new CudaKernels(threads);
        };
    }
}
