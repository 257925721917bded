package org.vim4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.vim4j.BackendKind;
import org.vim4j.VimException;
import org.vim4j.backend.Backends;

/**
 * Loading the CUDA library and selecting the backend, on any machine: without a GPU the status is unavailable with
 * a reason, {@code auto} never picks CUDA, forcing it fails naming the reason, and creating its kernels throws
 * instead of crashing. With a GPU: available, described by its device, and chosen by {@code auto}.
 */
class CudaLibraryTest {
    private static boolean bundled() {
        return CudaLibrary.class.getResource("/org/vim4j/native/linux-x86_64/libvim4j_cuda.so") != null;
    }

    private static boolean gpuDeviceNodes() {
        return Files.exists(Path.of("/dev/nvidia0")) || Files.exists(Path.of("/dev/nvidiactl"));
    }

    @Test
    void statusIsConsistentAndExplained() {
        CudaLibrary.Status s = CudaLibrary.status();
        assertNotNull(s);
        if (s.available()) {
            assertNull(s.reason());
            assertTrue(s.device().startsWith("device "), s.device());
            assertTrue(s.describe().contains(s.path()), s.describe());
        } else {
            assertNotNull(s.reason());
            assertFalse(s.reason().isBlank());
            assertTrue(s.describe().endsWith(s.reason()), s.describe());
        }
        assertEquals(s.available(), Backends.isAvailable(BackendKind.CUDA));
    }

    /** The library built here (nvcc, no driver): it loads, and the reason is the CUDA runtime's own text. */
    @Test
    void withTheBundledLibraryAndNoGpuTheReasonIsNoCudaDevice() {
        assumeTrue(bundled(), "libvim4j_cuda.so is not bundled in vim4j-native (built without nvcc)");
        assumeFalse(gpuDeviceNodes(), "this machine has NVIDIA device nodes");
        assumeTrue(System.getProperty(CudaLibrary.SKIP_PROPERTY) == null, "skipped by property");
        assumeTrue(System.getProperty(CudaLibrary.DIR_PROPERTY) == null, "-Dvim4j.cuda.dir names another library");
        CudaLibrary.Status s = CudaLibrary.status();
        assertFalse(s.available());
        assertTrue(s.reason().startsWith("no CUDA device: "), s.reason());
        assertTrue(s.reason().length() > "no CUDA device: ".length() + 5, "the CUDA error text is missing: " + s.reason());
    }

    @Test
    void forcingAnUnavailableCudaBackendFailsWithTheReason() {
        CudaLibrary.Status s = CudaLibrary.status();
        assumeFalse(s.available(), "a GPU is present");
        VimException e = assertThrows(VimException.class, () -> Backends.resolve("cuda"));
        assertTrue(e.getMessage().contains("backend 'cuda' was requested but is unavailable: " + s.reason()), e.getMessage());
        VimException c = assertThrows(VimException.class, () -> Backends.create(BackendKind.CUDA, 1));
        assertTrue(c.getMessage().contains(s.reason()), c.getMessage());
        assertTrue(Backends.resolve("auto") != BackendKind.CUDA);
    }

    @Test
    void autoPicksCudaWhenAGpuIsPresent() {
        assumeTrue(CudaLibrary.status().available(), () -> "no GPU: " + CudaLibrary.status().reason());
        assertEquals(BackendKind.CUDA, Backends.resolve("auto"));
    }
}
