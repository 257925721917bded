package org.vim4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.bindings.vim4j_cuda_h;

/**
 * An arena of device memory and pinned host buffers: everything allocated here is freed when the arena closes,
 * and using it afterwards throws {@link IllegalStateException} (the FFM scope check of every downcall that is
 * given one of its segments), never a crash or a double free.
 *
 * <p>Device allocations are {@link MemorySegment}s whose address is a device pointer and whose size is the
 * allocation's, so offsets can be taken with bounds checks ({@code asSlice}); they are only ever passed to the
 * CUDA library, never read by Java (a host read of a device address would fault). Pinned host segments are
 * ordinary host memory and may be read and written from Java.
 *
 * <p>{@link #allocate(Arena, long)} ties device memory to an existing arena instead (a model's or a session's), so it
 * shares that owner's lifecycle.
 */
public final class DeviceArena implements AutoCloseable {
    private final Arena arena;

    private DeviceArena(Arena arena) {
        this.arena = arena;
    }

    /** An arena any thread may use and close. */
    public static DeviceArena ofShared() {
        return new DeviceArena(Arena.ofShared());
    }

    /** An arena of the calling thread only. */
    public static DeviceArena ofConfined() {
        return new DeviceArena(Arena.ofConfined());
    }

    /** {@code bytes} of device memory, freed when this arena closes. */
    public MemorySegment allocate(long bytes) {
        return allocate(arena, bytes);
    }

    /** {@code bytes} of pinned (page-locked) host memory, freed when this arena closes. */
    public MemorySegment allocatePinned(long bytes) {
        return allocatePinned(arena, bytes);
    }

    /** {@code bytes} of device memory freed when {@code owner} closes (cudaFree in its cleanup). */
    @SuppressWarnings("restricted") // wrapping a device pointer of our own allocation with its true size
    public static MemorySegment allocate(Arena owner, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("device allocation of " + bytes + " bytes");
        }
        // Allocate only once the owner is known to be alive, so a closed owner never leaks device memory.
        owner.allocate(1);
        long address = Cuda.create("allocating " + bytes + " bytes of device memory", out -> vim4j_cuda_h.vim4j_cuda_malloc(bytes, out));
        return MemorySegment.ofAddress(address).reinterpret(bytes, owner, s -> vim4j_cuda_h.vim4j_cuda_free(s));
    }

    /** {@code bytes} of pinned host memory freed when {@code owner} closes (cudaFreeHost in its cleanup). */
    @SuppressWarnings("restricted")
    public static MemorySegment allocatePinned(Arena owner, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("pinned allocation of " + bytes + " bytes");
        }
        owner.allocate(1);
        long address = Cuda.create("allocating " + bytes + " bytes of pinned host memory",
                out -> vim4j_cuda_h.vim4j_cuda_host_alloc(bytes, out));
        return MemorySegment.ofAddress(address).reinterpret(bytes, owner, s -> vim4j_cuda_h.vim4j_cuda_host_free(s));
    }

    /** The arena that scopes this one's segments (for segments that must share its lifetime, e.g. a stream). */
    Arena scope() {
        return arena;
    }

    /** Frees every allocation; later use of them throws {@link IllegalStateException}. */
    @Override
    public void close() {
        arena.close();
    }
}
