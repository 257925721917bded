package org.vim4j.kernel.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.model.BlockWeights;
import org.vim4j.model.BranchWeights;
import org.vim4j.model.VimConfig;
import org.vim4j.model.VimWeights;

/**
 * A model's weights in device memory, uploaded once per model: the linear layers were placed on the device by
 * {@link CudaKernels#prepareLinear}; the remaining fp32 vectors (norms, conv, dt bias, A^T, D, class token) are
 * copied here. Everything is owned by the model's arena and freed when the model closes.
 */
record DeviceWeights(VimConfig config, MemorySegment clsToken, CudaLinear patchEmbed, Block[] blocks, MemorySegment normF,
        CudaLinear head) {

    record Branch(MemorySegment convW, MemorySegment convB, CudaLinear xProj, CudaLinear dtProj, MemorySegment dtBias,
            MemorySegment aT, MemorySegment dSkip) {
    }

    record Block(MemorySegment norm, CudaLinear inProj, Branch forward, Branch backward, CudaLinear outProj) {
    }

    static DeviceWeights upload(VimWeights w, Arena arena) {
        VimConfig c = w.config;
        int d = c.embedDim();
        Block[] blocks = new Block[c.depth()];
        for (int l = 0; l < blocks.length; l++) {
            BlockWeights b = w.blocks[l];
            blocks[l] = new Block(CudaKernels.upload(b.norm(), d, arena), linear(b.inProj()), branch(b.forward(), c, arena),
                    branch(b.backward(), c, arena), linear(b.outProj()));
        }
        return new DeviceWeights(c, CudaKernels.upload(w.clsToken, d, arena), linear(w.patchEmbed), blocks,
                CudaKernels.upload(w.normF, d, arena), linear(w.head));
    }

    private static Branch branch(BranchWeights b, VimConfig c, Arena arena) {
        int e = c.dInner(), n = c.dState();
        return new Branch(CudaKernels.upload(b.convW(), (long) e * c.dConv(), arena), CudaKernels.upload(b.convB(), e, arena),
                linear(b.xProj()), linear(b.dtProj()), CudaKernels.upload(b.dtBias(), e, arena),
                CudaKernels.upload(b.aT(), (long) n * e, arena), CudaKernels.upload(b.dSkip(), e, arena));
    }

    private static CudaLinear linear(org.vim4j.kernel.LinearWeight lw) {
        if (lw instanceof CudaLinear c) {
            return c;
        }
        throw new IllegalStateException("linear weight was not placed by the CUDA backend: " + lw);
    }
}
