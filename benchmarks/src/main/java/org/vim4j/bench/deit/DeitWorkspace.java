package org.vim4j.bench.deit;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Every activation buffer of a DeiT forward, allocated once for a maximum batch, so inference allocates nothing.
 * The attention buffers are what differ between the two variants: FULL holds the whole (batch, heads, L, L) score
 * matrix (the quadratic term the paper's memory figure is about); TILED holds one (query block x key block) score tile
 * plus a (query block x head dim) accumulator per parallel chunk, independent of L.
 */
public final class DeitWorkspace implements AutoCloseable {
    final DeitConfig config;
    final AttentionKind kind;
    final int maxBatch, chunks, queryBlock, keyBlock;
    /** L rounded up to whole vectors: the row stride of Kᵀ and of the score rows, so attention GEMMs need no masks. */
    final int paddedTokens;
    final MemorySegment x, h, qkv, attn, mlp, kT, patches, logits;
    final MemorySegment scores;        // FULL: (B, H, L, L); TILED: chunks x (queryBlock x keyBlock)
    final MemorySegment acc;           // TILED: chunks x (queryBlock x headDim); FULL: unused
    final float[][] rowMax, rowSum;    // TILED: per chunk, per query row of the block (heap, allocated once)
    private final Arena arena = Arena.ofShared();
    private final long bytes;

    DeitWorkspace(DeitConfig c, AttentionKind kind, int maxBatch, int chunks, int queryBlock, int keyBlock) {
        this.config = c;
        this.kind = kind;
        this.maxBatch = maxBatch;
        this.chunks = chunks;
        this.queryBlock = queryBlock;
        this.keyBlock = keyBlock;
        if (keyBlock % AttentionGemm.V != 0) {
            throw new IllegalArgumentException("key block " + keyBlock + " must be a multiple of " + AttentionGemm.V);
        }
        long rows = (long) maxBatch * c.tokens(), d = c.dim(), l = c.tokens();
        this.paddedTokens = (int) ((l + AttentionGemm.V - 1) / AttentionGemm.V * AttentionGemm.V);
        long lp = paddedTokens;
        x = alloc(rows * d);
        h = alloc(rows * d);
        qkv = alloc(rows * 3 * d);
        attn = alloc(rows * d);
        mlp = alloc(rows * c.hidden());
        kT = alloc((long) maxBatch * d * lp); // K transposed per (image, head): (headDim, Lp), padding columns stay 0
        patches = alloc((l - 1) * c.patchInputs());
        logits = alloc((long) maxBatch * c.numClasses());
        if (kind == AttentionKind.FULL) {
            scores = alloc((long) maxBatch * c.heads() * l * lp);
            acc = alloc(1);
            rowMax = rowSum = new float[0][];
        } else {
            scores = alloc((long) chunks * queryBlock * keyBlock);
            acc = alloc((long) chunks * queryBlock * c.headDim());
            rowMax = new float[chunks][queryBlock];
            rowSum = new float[chunks][queryBlock];
        }
        long total = 0;
        for (MemorySegment s : new MemorySegment[] {x, h, qkv, attn, mlp, kT, patches, logits, scores, acc}) {
            total += s.byteSize();
        }
        bytes = total;
    }

    /** One vector of padding past the end: a masked tail load there stays on the intrinsic (non-allocating) path. */
    private MemorySegment alloc(long floats) {
        return arena.allocate((Math.max(floats, 1) + 16) * 4, 64);
    }

    /** Off-heap bytes of all buffers: the activation memory of a forward at the maximum batch. */
    public long byteSize() {
        return bytes;
    }

    public int maxBatch() {
        return maxBatch;
    }

    public MemorySegment logits() {
        return logits;
    }

    @Override
    public void close() {
        arena.close();
    }
}
