package org.vim4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vim4j.bindings.vim4j_cuda_h;

/** Device memory lifecycle and CUDA errors as exceptions (needs a GPU; skipped with the reason otherwise). */
class DeviceArenaTest {
    @BeforeEach
    void gpu() {
        assumeTrue(CudaLibrary.status().available(), () -> "no GPU: " + CudaLibrary.status().reason());
    }

    private static long allocated() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cur = a.allocate(ValueLayout.JAVA_LONG), peak = a.allocate(ValueLayout.JAVA_LONG);
            Cuda.check(vim4j_cuda_h.vim4j_cuda_allocated(cur, peak), "allocated");
            return cur.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    @Test
    void memoryRoundTripsAndIsFreedOnClose() {
        long before = allocated();
        float[] data = new float[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 0.5f - 3;
        }
        MemorySegment dev;
        try (DeviceArena d = DeviceArena.ofConfined(); Arena host = Arena.ofConfined()) {
            dev = d.allocate(4000);
            MemorySegment pinned = d.allocatePinned(4000);
            MemorySegment.copy(data, 0, pinned, ValueLayout.JAVA_FLOAT, 0, data.length);
            assertEquals(before + 4000, allocated());
            CudaStream.copy(dev, pinned, 4000, MemorySegment.NULL);
            MemorySegment back = host.allocate(4000);
            CudaStream.copy(back, dev, 4000, MemorySegment.NULL);
            CudaStream.synchronize(MemorySegment.NULL);
            assertArrayEquals(data, back.toArray(ValueLayout.JAVA_FLOAT));
        }
        assertEquals(before, allocated(), "device memory freed by close");
        MemorySegment closed = dev;
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> vim4j_cuda_h.vim4j_cuda_memset_zero(closed, 4000, MemorySegment.NULL));
        assertTrue(e.getMessage() != null);
        DeviceArena d = DeviceArena.ofShared();
        d.allocate(16);
        d.close();
        assertThrows(IllegalStateException.class, () -> d.allocate(16), "allocating from a closed arena");
    }

    @Test
    void outOfMemoryIsAClearException() {
        try (DeviceArena d = DeviceArena.ofConfined()) {
            Cuda.OutOfMemoryException e = assertThrows(Cuda.OutOfMemoryException.class, () -> d.allocate(1L << 50));
            assertTrue(e.getMessage().contains("out of device memory allocating 1125899906842624 bytes"), e.getMessage());
            MemorySegment ok = d.allocate(1 << 20); // the device stays usable
            assertEquals(1 << 20, ok.byteSize());
        }
    }

    @Test
    void invalidArgumentsBecomeExceptionsWithTheLibrarysMessage() {
        org.vim4j.VimException e = assertThrows(org.vim4j.VimException.class, () -> Cuda.check(
                vim4j_cuda_h.vim4j_cuda_add(MemorySegment.NULL, MemorySegment.NULL, -1, MemorySegment.NULL), "add"));
        assertEquals("CUDA backend: add failed: vim4j_cuda_add: invalid argument 'n' = -1: must be >= 0", e.getMessage());
    }
}
