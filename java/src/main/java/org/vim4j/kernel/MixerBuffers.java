package org.vim4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The activations one mixer layer reads, writes and works in, for up to {@code rows} tokens, in the backend's
 * activation memory. Made once per workspace; each direction has its own conv and x_proj buffers so a backend may run
 * both at once.
 *
 * @param normed   (rows, D) the layer's input
 * @param hidden   (rows, D) the layer's output
 * @param xz       (rows, 2E) in_proj's output: x | z
 * @param delta    (rows, E) dt_proj's output of the branch being scanned
 * @param y        (rows, E) (y_f + y_b) / 2, also as {@code out} rows of E
 * @param forward  the forward direction's buffers
 * @param backward the backward direction's buffers
 * @param fused    the backend's prepared argument block for its fused mixer ({@link Kernels#prepareBuffers}), or
 *                 {@link MemorySegment#NULL}
 */
public record MixerBuffers(MixerDims dims, long rows, MemorySegment normed, MemorySegment hidden, MemorySegment xz,
        MemorySegment delta, Rows y, BranchBuffers forward, BranchBuffers backward, MemorySegment fused) {

    /** Allocates the mixer's own buffers through {@code k} around the loop's {@code normed} and {@code hidden}. */
    public static MixerBuffers allocate(Kernels k, Arena arena, MixerDims dims, long rows, MemorySegment normed,
            MemorySegment hidden) {
        int e = dims.dInner(), xdbl = dims.xProjOut();
        MemorySegment xz = k.allocate(arena, Math.multiplyExact(rows, 2L * e));
        MemorySegment delta = k.allocate(arena, Math.multiplyExact(rows, (long) e));
        MemorySegment y = k.allocate(arena, Math.multiplyExact(rows, (long) e));
        BranchBuffers[] br = new BranchBuffers[2];
        for (int i = 0; i < 2; i++) {
            MemorySegment xc = k.allocate(arena, Math.multiplyExact(rows, (long) e));
            MemorySegment xDbl = k.allocate(arena, Math.multiplyExact(rows, (long) xdbl));
            ScanInputs scan = new ScanInputs(Rows.of(xc, e), Rows.of(delta, e), new Rows(xDbl, dims.dtRank(), xdbl),
                    new Rows(xDbl, dims.dtRank() + dims.dState(), xdbl), new Rows(xz, e, 2 * e));
            br[i] = new BranchBuffers(xc, xDbl, new Rows(xz, 0, 2 * e), Rows.of(xc, e), scan);
        }
        return new MixerBuffers(dims, rows, normed, hidden, xz, delta, Rows.of(y, e), br[0], br[1], MemorySegment.NULL);
    }

    public MixerBuffers withFused(MemorySegment args) {
        return new MixerBuffers(dims, rows, normed, hidden, xz, delta, y, forward, backward, args);
    }

    public BranchBuffers branch(boolean reverse) {
        return reverse ? backward : forward;
    }
}
