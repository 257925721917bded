package org.vim4j.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The activation buffers of one session, sized once for its maximum batch and token count and reused
 * by every layer. Memory is linear in tokens: nothing here is (tokens x tokens) or (tokens x states).
 */
public final class Workspace {
    public final int maxBatch;
    public final int maxTokens;
    public final MemorySegment residual; // (B*L, D) the fp32 residual stream
    public final MemorySegment hidden;   // (B*L, D) mixer output
    public final MemorySegment normed;   // (B*L, D) RMSNorm output, mixer input; final features at the end
    public final MemorySegment xz;       // (B*L, 2E) in_proj output: x | z
    public final MemorySegment xc;       // (B*L, E) conv1d + SiLU output of the current branch
    public final MemorySegment xDbl;     // (B*L, R+2N) x_proj output: dt_low | B | C
    public final MemorySegment delta;    // (B*L, E) dt_proj output (before bias and softplus)
    public final MemorySegment y;        // (B*L, E) (y_f + y_b) / 2
    public final MemorySegment patches;  // (M, C*p*p) im2col of one image
    public final MemorySegment posEmbed; // (L, D) position embedding for the current grid
    public final MemorySegment logits;   // (B, classes)
    private final long bytes;

    public Workspace(Arena arena, VimConfig c, int maxBatch, int maxTokens) {
        this.maxBatch = maxBatch;
        this.maxTokens = maxTokens;
        long[] sizes = floats(c, maxBatch, maxTokens);
        MemorySegment[] s = new MemorySegment[sizes.length];
        long total = 0;
        for (int i = 0; i < sizes.length; i++) {
            s[i] = arena.allocate(Math.multiplyExact(Math.max(sizes[i], 1), 4L), 64);
            total += s[i].byteSize();
        }
        residual = s[0];
        hidden = s[1];
        normed = s[2];
        xz = s[3];
        xc = s[4];
        xDbl = s[5];
        delta = s[6];
        y = s[7];
        patches = s[8];
        posEmbed = s[9];
        logits = s[10];
        bytes = total;
    }

    /** Floats of each buffer, in field order; exact arithmetic (ArithmeticException on overflow). */
    private static long[] floats(VimConfig c, int maxBatch, int maxTokens) {
        long rows = Math.multiplyExact((long) maxBatch, (long) maxTokens);
        long d = c.embedDim(), e = c.dInner();
        return new long[] {Math.multiplyExact(rows, d), Math.multiplyExact(rows, d), Math.multiplyExact(rows, d),
            Math.multiplyExact(rows, 2 * e), Math.multiplyExact(rows, e), Math.multiplyExact(rows, (long) c.xProjOut()),
            Math.multiplyExact(rows, e), Math.multiplyExact(rows, e), Math.multiplyExact((long) (maxTokens - 1), (long) c.patchInputs()),
            Math.multiplyExact((long) maxTokens, d), Math.multiplyExact((long) maxBatch, (long) c.numClasses())};
    }

    /** Bytes a workspace of this shape would allocate, or -1 if that overflows 64-bit arithmetic. */
    public static long requiredBytes(VimConfig c, int maxBatch, int maxTokens) {
        try {
            long total = 0;
            for (long n : floats(c, maxBatch, maxTokens)) {
                total = Math.addExact(total, Math.multiplyExact(Math.max(n, 1), 4L));
            }
            return total;
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    /** Off-heap bytes this workspace holds. */
    public long byteSize() {
        return bytes;
    }
}
