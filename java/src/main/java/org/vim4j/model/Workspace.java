package org.vim4j.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.VimConfig;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.MixerBuffers;
import org.vim4j.kernel.MixerDims;

/**
 * The activation buffers of one session, allocated by its backend (host or device memory) once for its maximum batch
 * and token count and reused by every layer. Memory is linear in tokens: nothing here is (tokens x tokens) or
 * (tokens x states).
 */
public final class Workspace {
    public final int maxBatch;
    public final int maxTokens;
    public final MemorySegment residual; // (B*L, D) the fp32 residual stream
    public final MemorySegment hidden;   // (B*L, D) mixer output
    public final MemorySegment normed;   // (B*L, D) RMSNorm output, mixer input; final features at the end
    public final MixerBuffers mixer;     // in_proj, conv, x_proj, dt_proj and scan buffers of a mixer layer
    public final MemorySegment patches;  // im2col of as many images as the backend embeds at once
    public final MemorySegment posEmbed; // (L, D) position embedding for the current grid
    public final MemorySegment logits;   // (B, classes)
    private final long bytes;

    public Workspace(Kernels k, Arena arena, VimConfig c, int maxBatch, int maxTokens) {
        this.maxBatch = maxBatch;
        this.maxTokens = maxTokens;
        long rows = Math.multiplyExact((long) maxBatch, (long) maxTokens);
        long d = c.embedDim();
        residual = k.allocate(arena, Math.multiplyExact(rows, d));
        hidden = k.allocate(arena, Math.multiplyExact(rows, d));
        normed = k.allocate(arena, Math.multiplyExact(rows, d));
        mixer = k.prepareBuffers(MixerBuffers.allocate(k, arena, dims(c), rows, normed, hidden), arena);
        patches = k.allocate(arena, patchFloats(k, c, maxBatch, maxTokens));
        posEmbed = k.allocate(arena, Math.multiplyExact((long) maxTokens, d));
        logits = k.allocate(arena, Math.multiplyExact((long) maxBatch, (long) c.numClasses()));
        bytes = requiredBytes(k, c, maxBatch, maxTokens);
    }

    static MixerDims dims(VimConfig c) {
        return new MixerDims(c.embedDim(), c.dInner(), c.dState(), c.dtRank());
    }

    private static long patchFloats(Kernels k, VimConfig c, int maxBatch, int maxTokens) {
        return Math.multiplyExact(Math.multiplyExact((long) k.patchImagesAtOnce(maxBatch), (long) (maxTokens - 1)),
                (long) c.patchInputs());
    }

    /** Bytes a workspace of this shape allocates, or -1 if that overflows 64-bit arithmetic. */
    public static long requiredBytes(Kernels k, VimConfig c, int maxBatch, int maxTokens) {
        try {
            long rows = Math.multiplyExact((long) maxBatch, (long) maxTokens);
            long d = c.embedDim(), e = c.dInner(), xdbl = c.xProjOut();
            // residual, hidden, normed (D); xz (2E); delta, y, 2 x xc (E); 2 x x_dbl (R+2N)
            long perRow = Math.addExact(Math.addExact(3 * d, 6 * e), 2 * xdbl);
            long floats = Math.multiplyExact(rows, perRow);
            floats = Math.addExact(floats, patchFloats(k, c, maxBatch, maxTokens));
            floats = Math.addExact(floats, Math.multiplyExact((long) maxTokens, d));
            floats = Math.addExact(floats, Math.multiplyExact((long) maxBatch, (long) c.numClasses()));
            return Math.multiplyExact(floats, 4L);
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    /** Bytes of activation memory this workspace holds. */
    public long byteSize() {
        return bytes;
    }
}
