package org.vim4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.bindings.vim4j_cuda_h;

/**
 * CUDA streams, graphs and events as segments scoped to an arena (destroyed in its cleanup), so their lifetime is
 * their owner's and use after close throws {@link IllegalStateException}. One stream per session: kernels of one
 * session run in order, sessions run concurrently.
 */
final class CudaStream {
    private CudaStream() {
    }

    /** A new non-blocking stream owned by {@code owner}. */
    @SuppressWarnings("restricted")
    static MemorySegment create(Arena owner) {
        owner.allocate(1); // fails first if the owner is closed
        long s = Cuda.create("creating a stream", vim4j_cuda_h::vim4j_cuda_stream_create);
        return MemorySegment.ofAddress(s).reinterpret(0, owner, seg -> vim4j_cuda_h.vim4j_cuda_stream_destroy(seg));
    }

    /** Waits for everything enqueued on {@code stream}; kernel faults surface here with their CUDA error text. */
    static void synchronize(MemorySegment stream) {
        Cuda.check(vim4j_cuda_h.vim4j_cuda_stream_synchronize(stream), "stream synchronize");
    }

    /** Starts capturing {@code stream} into a graph. */
    static void beginCapture(MemorySegment stream) {
        Cuda.check(vim4j_cuda_h.vim4j_cuda_graph_begin(stream), "graph capture begin");
    }

    /** Ends the capture: an executable graph owned by {@code owner}. */
    @SuppressWarnings("restricted")
    static MemorySegment endCapture(MemorySegment stream, Arena owner) {
        long g = Cuda.create("graph capture end", out -> vim4j_cuda_h.vim4j_cuda_graph_end(stream, out));
        return MemorySegment.ofAddress(g).reinterpret(0, owner, seg -> vim4j_cuda_h.vim4j_cuda_graph_destroy(seg));
    }

    /** Ends the capture and destroys the graph at once: the capture was abandoned (its work is to run eagerly). */
    static void discardCapture(MemorySegment stream) {
        long g = Cuda.create("graph capture end", out -> vim4j_cuda_h.vim4j_cuda_graph_end(stream, out));
        Cuda.check(vim4j_cuda_h.vim4j_cuda_graph_destroy(MemorySegment.ofAddress(g)), "graph destroy");
    }

    static void launch(MemorySegment graph, MemorySegment stream) {
        Cuda.check(vim4j_cuda_h.vim4j_cuda_graph_launch(graph, stream), "graph launch");
    }

    /** Asynchronous copy of {@code bytes} between host (native) and device segments on {@code stream}. */
    static void copy(MemorySegment dst, MemorySegment src, long bytes, MemorySegment stream) {
        Cuda.check(vim4j_cuda_h.vim4j_cuda_memcpy(dst, src, bytes, stream), "memcpy");
    }
}
