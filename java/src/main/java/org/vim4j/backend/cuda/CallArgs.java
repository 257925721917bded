package org.vim4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.bindings.vim4j_cuda_conv_weights;
import org.vim4j.bindings.vim4j_cuda_patch_grid;
import org.vim4j.bindings.vim4j_cuda_rows;
import org.vim4j.bindings.vim4j_cuda_scan_inputs;
import org.vim4j.bindings.vim4j_cuda_scan_mode;
import org.vim4j.bindings.vim4j_cuda_scan_weights;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;

/**
 * The calling thread's argument structs for the primitive kernels: native memory made once per thread and
 * rewritten for each call (the library reads a struct during the call only, so reuse is safe, also while a graph is
 * captured). The fused mixer and the linear layers do not come here: their structs are built once per model and
 * session ({@link CudaKernels#prepareMixer}, {@link CudaKernels#prepareBuffers}, {@link CudaLinear#struct}).
 */
final class CallArgs {
    private static final ThreadLocal<CallArgs> OF_THREAD = ThreadLocal.withInitial(CallArgs::new);

    final MemorySegment x, out, conv, scanIn, scanWeights, scanMode, grid;
    private final MemorySegment u, delta, b, c, z; // the rows inside scanIn


    private CallArgs() {
        Arena arena = Arena.ofAuto(); // freed with this thread's CallArgs
        x = vim4j_cuda_rows.allocate(arena);
        out = vim4j_cuda_rows.allocate(arena);
        conv = vim4j_cuda_conv_weights.allocate(arena);
        scanIn = vim4j_cuda_scan_inputs.allocate(arena);
        scanWeights = vim4j_cuda_scan_weights.allocate(arena);
        scanMode = vim4j_cuda_scan_mode.allocate(arena);
        grid = vim4j_cuda_patch_grid.allocate(arena);
        u = vim4j_cuda_scan_inputs.u(scanIn);
        delta = vim4j_cuda_scan_inputs.delta(scanIn);
        b = vim4j_cuda_scan_inputs.b(scanIn);
        c = vim4j_cuda_scan_inputs.c(scanIn);
        z = vim4j_cuda_scan_inputs.z(scanIn);
    }

    static CallArgs ofThread() {
        return OF_THREAD.get();
    }

    /** {@code r} into the struct {@code dst}, its first row {@code rows} rows of {@code width} checked to lie in its buffer. */
    static MemorySegment rows(MemorySegment dst, Rows r, long rows, long width) {
        vim4j_cuda_rows.data(dst, CudaKernels.at(r.data(), r.offset(), rows, r.ld(), width));
        vim4j_cuda_rows.ld(dst, r.ld());
        return dst;
    }

    MemorySegment conv(ConvWeights w) {
        vim4j_cuda_conv_weights.weight(conv, w.weight());
        vim4j_cuda_conv_weights.bias(conv, w.bias());
        vim4j_cuda_conv_weights.channels(conv, w.channels());
        vim4j_cuda_conv_weights.kernel(conv, w.kernel());
        return conv;
    }

    MemorySegment scanInputs(ScanInputs in, long rows, int channels, int states) {
        rows(u, in.u(), rows, channels);
        rows(delta, in.delta(), rows, channels);
        rows(b, in.b(), rows, states);
        rows(c, in.c(), rows, states);
        rows(z, in.z(), rows, channels);
        return scanIn;
    }

    MemorySegment scanWeights(ScanWeights w) {
        vim4j_cuda_scan_weights.a_t(scanWeights, w.aT());
        vim4j_cuda_scan_weights.d_skip(scanWeights, w.dSkip());
        vim4j_cuda_scan_weights.delta_bias(scanWeights, w.deltaBias());
        vim4j_cuda_scan_weights.channels(scanWeights, w.channels());
        vim4j_cuda_scan_weights.states(scanWeights, w.states());
        return scanWeights;
    }

    MemorySegment scanMode(ScanMode m) {
        vim4j_cuda_scan_mode.reverse(scanMode, m.reverse() ? 1 : 0);
        vim4j_cuda_scan_mode.out_scale(scanMode, m.outScale());
        vim4j_cuda_scan_mode.accumulate(scanMode, m.accumulate() ? 1 : 0);
        return scanMode;
    }

    MemorySegment grid(PatchGrid g) {
        vim4j_cuda_patch_grid.channels(grid, g.channels());
        vim4j_cuda_patch_grid.height(grid, g.height());
        vim4j_cuda_patch_grid.width(grid, g.width());
        vim4j_cuda_patch_grid.patch(grid, g.patch());
        vim4j_cuda_patch_grid.stride(grid, g.stride());
        return grid;
    }
}
