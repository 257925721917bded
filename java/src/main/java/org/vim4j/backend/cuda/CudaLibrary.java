package org.vim4j.backend.cuda;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import org.vim4j.bindings.vim4j_cuda_h;
import org.vim4j.backend.ffm.NativeAccess;
import org.vim4j.backend.ffm.NativeLibrary;

/**
 * Finds and loads {@code libvim4j_cuda.so} once per JVM, checks its ABI and that a usable GPU is present, and says
 * why not when it cannot. The library is separate from {@code libvim4j.so}, so machines without CUDA never need it;
 * it links the CUDA runtime statically and needs only the NVIDIA driver, which it loads on the first CUDA call.
 *
 * <p>Precedence (the same mechanism as {@link NativeLibrary}):
 * <ol>
 * <li>{@code -Dvim4j.cuda.skip=true}: not loaded;</li>
 * <li>{@code -Dvim4j.cuda.dir=DIR}, else {@code -Dvim4j.native.dir=DIR}: {@code DIR/libvim4j_cuda.so} or a clear
 *     failure, never a fallback;</li>
 * <li>the copy in the vim4j-native jar, extracted into the same versioned cache as {@code libvim4j.so};</li>
 * <li>{@code System.loadLibrary("vim4j_cuda")} ({@code java.library.path}).</li>
 * </ol>
 * Then {@code vim4j_cuda_abi_version()} must equal the bindings' {@code VIM4J_CUDA_ABI_VERSION}, and
 * {@code vim4j_cuda_init(device)} must find a GPU ({@code -Dvim4j.cuda.device}, default 0); without a driver or a
 * device the status is unavailable with the reason "no CUDA device: &lt;CUDA error text&gt;". No failure here throws.
 */
public final class CudaLibrary {
    public static final String SKIP_PROPERTY = "vim4j.cuda.skip";
    public static final String DIR_PROPERTY = "vim4j.cuda.dir";
    public static final String DEVICE_PROPERTY = "vim4j.cuda.device";
    static final String LIBRARY_FILE = "libvim4j_cuda.so";

    private static final System.Logger LOG = System.getLogger("org.vim4j");
    private static volatile Status status;

    private CudaLibrary() {
    }

    /** The outcome: available with the device's name and the library file, or unavailable with the reason. */
    public record Status(boolean available, String device, String path, String reason) {
        static Status unavailable(String reason) {
            return new Status(false, null, null, reason);
        }

        /** One line for logs. */
        public String describe() {
            return available ? "CUDA kernels on " + device + " from " + path : "CUDA kernels unavailable: " + reason;
        }
    }

    /** Loads the library and initialises the device on first use (thread-safe); returns the cached outcome. */
    public static Status status() {
        Status s = status;
        if (s == null) {
            synchronized (CudaLibrary.class) {
                s = status;
                if (s == null) {
                    s = resolve();
                    LOG.log(Level.DEBUG, s.describe());
                    status = s;
                }
            }
        }
        return s;
    }

    private static Status resolve() {
        String skip = System.getProperty(SKIP_PROPERTY);
        if (skip != null && !skip.trim().equalsIgnoreCase("false")) {
            return Status.unavailable("skipped by " + SKIP_PROPERTY);
        }
        int device;
        try {
            device = Integer.parseInt(System.getProperty(DEVICE_PROPERTY, "0").trim());
        } catch (NumberFormatException e) {
            return Status.unavailable("-D" + DEVICE_PROPERTY + "=" + System.getProperty(DEVICE_PROPERTY) + ": expected a device index");
        }
        String dirProperty = System.getProperty(DIR_PROPERTY) != null ? DIR_PROPERTY
                : System.getProperty(NativeLibrary.DIR_PROPERTY) != null ? NativeLibrary.DIR_PROPERTY : null;
        String where;
        if (dirProperty != null) {
            String dir = System.getProperty(dirProperty);
            String denied = NativeAccess.denied();
            if (denied != null) {
                return Status.unavailable(denied);
            }
            Path file = Path.of(dir).resolve(LIBRARY_FILE).toAbsolutePath();
            if (!Files.isRegularFile(file)) {
                return Status.unavailable("-D" + dirProperty + "=" + dir + ": no " + LIBRARY_FILE + " there (" + file
                        + "; it is built only where CMake finds nvcc)");
            }
            String failure = load(file);
            if (failure != null) {
                return Status.unavailable("-D" + dirProperty + "=" + dir + ": cannot load " + file + ": " + failure);
            }
            where = file.toString();
        } else {
            String noDriver = noDriver();
            if (noDriver != null) {
                return Status.unavailable(noDriver);
            }
            String denied = NativeAccess.denied();
            if (denied != null) {
                return Status.unavailable(denied);
            }
            String bundled = null;
            Path file = null;
            String failure;
            try {
                NativeLibrary.Bundled b = NativeLibrary.loadBundled(LIBRARY_FILE, CudaLibrary::load);
                file = b.file();
                failure = b.failure();
                if (file == null) {
                    bundled = "no bundled " + LIBRARY_FILE + " (" + b.failure() + ")";
                }
            } catch (Exception e) {
                bundled = "cannot extract the bundled " + LIBRARY_FILE + ": " + e;
                failure = bundled;
            }
            if (failure == null) {
                where = file.toString();
            } else {
                try {
                    loadLibrary();
                    where = System.mapLibraryName("vim4j_cuda") + " from java.library.path";
                } catch (UnsatisfiedLinkError | RuntimeException e) {
                    return Status.unavailable((file == null ? bundled : "the bundled library (" + file + ") does not load: "
                            + failure) + "; and System.loadLibrary(\"vim4j_cuda\") failed: " + e.getMessage());
                }
            }
        }
        int abi;
        try {
            abi = vim4j_cuda_h.vim4j_cuda_abi_version();
        } catch (Throwable e) {
            return Status.unavailable(where + " has no usable vim4j_cuda_abi_version(): " + e);
        }
        if (abi != vim4j_cuda_h.VIM4J_CUDA_ABI_VERSION()) {
            return Status.unavailable(where + " has CUDA ABI version " + abi + " but these bindings need "
                    + vim4j_cuda_h.VIM4J_CUDA_ABI_VERSION() + " (use vim4j-native and vim4j-bindings of the same build)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            int rc = vim4j_cuda_h.vim4j_cuda_init(device, name, 256);
            if (rc != vim4j_cuda_h.VIM4J_CUDA_OK()) {
                return Status.unavailable(Cuda.lastError());
            }
            return new Status(true, "device " + device + " (" + name.getString(0) + ")", where, null);
        } catch (Throwable e) {
            return Status.unavailable(where + ": vim4j_cuda_init failed: " + e);
        }
    }

    /**
     * Why there can be no GPU here, decided without loading anything (so CPU-only machines never load native code for
     * CUDA and never see native-access warnings for it): no NVIDIA kernel driver and no {@code libcuda.so.1} in the
     * places drivers install it. Null when a driver may be present.
     */
    static String noDriver() {
        if (Files.exists(Path.of("/proc/driver/nvidia/version"))) {
            return null;
        }
        java.util.List<String> dirs = new java.util.ArrayList<>(java.util.List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64",
                "/usr/lib", "/usr/lib/wsl/lib", "/usr/local/nvidia/lib64", "/usr/local/cuda/compat", "/usr/local/cuda/lib64"));
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            dirs.addAll(java.util.Arrays.asList(ld.split(":")));
        }
        for (String d : dirs) {
            if (!d.isBlank() && Files.exists(Path.of(d, "libcuda.so.1"))) {
                return null;
            }
        }
        return "no CUDA device: no NVIDIA driver here (no /proc/driver/nvidia/version, no libcuda.so.1), so "
                + LIBRARY_FILE + " was not loaded";
    }

    @SuppressWarnings("restricted") // loading native code is this class's purpose; callers enable native access
    private static String load(Path file) {
        try {
            System.load(file.toAbsolutePath().toString());
            return null;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    @SuppressWarnings("restricted")
    private static void loadLibrary() {
        System.loadLibrary("vim4j_cuda");
    }
}
