package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.Kernels;
import org.vim4j.backend.vector.ParallelTask;
import org.vim4j.kernel.PatchGrid;

/**
 * One caller's DeiT forward: a workspace plus the reusable parallel-loop bodies, so a steady-state inference allocates
 * nothing on the heap (the same contract as {@code VimSession}). Not thread-safe; one per thread.
 *
 * <pre>
 * x = [cls ; patch_embed(image)] + pos
 * per block:  x += proj(attention(qkv(LN1(x))));   x += fc2(GELU(fc1(LN2(x))))
 * logits = head(LN(x)[cls])
 * </pre>
 * Every Linear is the backend's {@code Kernels.linear}; residual adds and copies are the backend's too.
 */
public final class DeitSession implements AutoCloseable {
    private final DeitModel model;
    private final DeitConfig c;
    private final Kernels k;
    private final boolean simd;
    private final DeitWorkspace ws;
    private final float scale;
    private final RowsTask rowsTask = new RowsTask();
    private final TransposeTask transposeTask = new TransposeTask();
    private final FullTask fullTask = new FullTask();
    private final TiledTask tiledTask = new TiledTask();
    private int batch;

    DeitSession(DeitModel model, int maxBatch, AttentionKind kind, int queryBlock, int keyBlock) {
        if (maxBatch < 1 || queryBlock < 1 || keyBlock < 1) {
            throw new IllegalArgumentException("batch and attention blocks must be >= 1");
        }
        this.model = model;
        this.c = model.config;
        this.k = model.kernels;
        this.simd = model.simd;
        this.ws = new DeitWorkspace(c, kind, maxBatch, 4 * model.threads.size(), queryBlock, keyBlock);
        this.scale = (float) (1.0 / Math.sqrt(c.headDim()));
        this.grid = new PatchGrid(c.channels(), c.imgSize(), c.imgSize(), c.patch(), c.patch());
    }

    public long workspaceBytes() {
        return ws.byteSize();
    }

    public AttentionKind attentionKind() {
        return ws.kind;
    }

    /** Logits of the last {@link #run}: {@code batch x numClasses} floats. */
    public MemorySegment logits() {
        return ws.logits;
    }

    private final PatchGrid grid;

    /** Runs {@code batch} normalised NCHW images at the config's resolution from {@code input} (float offset inOff). */
    public void run(MemorySegment input, long inOff, int batch) {
        if (batch < 1 || batch > ws.maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + ws.maxBatch);
        }
        this.batch = batch;
        DeitWeights w = model.weights;
        int d = c.dim(), l = c.tokens(), m = l - 1, rows = batch * l;
        long imageFloats = grid.imageFloats();
        for (int b = 0; b < batch; b++) {
            long seq = (long) b * l * d;
            k.im2col(input, inOff + b * imageFloats, grid, ws.patches, 0);
            k.linear(ws.patches, 0, c.patchInputs(), m, w.patchEmbed, ws.x, seq + d, d);
            k.copy(w.clsToken, 0, ws.x, seq, d);
            k.add(ws.x, seq, w.posEmbed, 0, (long) l * d);
        }
        for (DeitWeights.Block bw : w.blocks) {
            layerNorm(bw.norm1W(), bw.norm1B(), rows, 1);
            k.linear(ws.h, 0, d, rows, bw.qkv(), ws.qkv, 0, 3 * d);
            attention();
            k.linear(ws.attn, 0, d, rows, bw.proj(), ws.h, 0, d);
            k.add(ws.x, 0, ws.h, 0, (long) rows * d);
            layerNorm(bw.norm2W(), bw.norm2B(), rows, 1);
            k.linear(ws.h, 0, d, rows, bw.fc1(), ws.mlp, 0, c.hidden());
            rowsTask.start(RowsTask.GELU, null, null, rows, 1);
            parallelRows(rows);
            k.linear(ws.mlp, 0, c.hidden(), rows, bw.fc2(), ws.h, 0, d);
            k.add(ws.x, 0, ws.h, 0, (long) rows * d);
        }
        layerNorm(w.normW, w.normB, batch, l); // only the cls rows (0, L, 2L, ...) reach the head
        k.linear(ws.h, 0, l * d, batch, w.head, ws.logits, 0, c.numClasses());
    }

    private void layerNorm(MemorySegment weight, MemorySegment bias, int rows, int rowStep) {
        rowsTask.start(RowsTask.LAYER_NORM, weight, bias, rows, rowStep);
        parallelRows(rows);
    }

    private void parallelRows(int rows) {
        int chunks = Math.min(rows, 4 * model.threads.size());
        rowsTask.chunks = chunks;
        model.threads.run(rowsTask, chunks);
    }

    private void attention() {
        int items = batch * c.heads();
        model.threads.run(transposeTask, items);
        int perHead = (c.tokens() + ws.queryBlock - 1) / ws.queryBlock;
        if (ws.kind == AttentionKind.FULL) {
            fullTask.perHead = perHead;
            model.threads.run(fullTask, items * perHead);
        } else {
            tiledTask.items = items * perHead;
            tiledTask.perHead = perHead;
            tiledTask.next.set(0);
            model.threads.run(tiledTask, Math.min(tiledTask.items, ws.chunks));
        }
    }

    /** LayerNorm rows of x into h, or GELU over rows of the MLP buffer, split into contiguous row chunks. */
    private final class RowsTask implements ParallelTask {
        static final int LAYER_NORM = 0, GELU = 1;
        int op, rows, rowStep, chunks;
        MemorySegment weight, bias;

        void start(int op, MemorySegment weight, MemorySegment bias, int rows, int rowStep) {
            this.op = op;
            this.weight = weight;
            this.bias = bias;
            this.rows = rows;
            this.rowStep = rowStep;
        }

        @Override
        public void run(int index) {
            int r0 = (int) ((long) rows * index / chunks), r1 = (int) ((long) rows * (index + 1) / chunks);
            int d = c.dim();
            if (op == GELU) {
                Gelu.inPlace(simd, ws.mlp, (long) r0 * c.hidden(), (long) (r1 - r0) * c.hidden());
                return;
            }
            for (int r = r0; r < r1; r++) {
                long off = (long) r * rowStep * d;
                LayerNorm.row(simd, ws.x, off, weight, bias, ws.h, off, d, DeitConfig.LN_EPS);
            }
        }
    }

    /** K of (image, head) transposed to (headDim, L), so Q·Kᵀ streams contiguous rows like P·V does. */
    private final class TransposeTask implements ParallelTask {
        @Override
        public void run(int item) {
            int l = c.tokens(), d = c.dim(), hd = c.headDim();
            int b = item / c.heads(), head = item % c.heads(), lp = ws.paddedTokens;
            long dst = (long) item * hd * lp;
            for (int t = 0; t < l; t++) {
                long src = ((long) b * l + t) * 3 * d + d + (long) head * hd;
                for (int j = 0; j < hd; j++) {
                    ws.kT.setAtIndex(JAVA_FLOAT, dst + (long) j * lp + t, ws.qkv.getAtIndex(JAVA_FLOAT, src + j));
                }
            }
        }
    }

    /** One block of query rows of one (image, head): its rows of the full score matrix, softmax, times V. */
    private final class FullTask implements ParallelTask {
        int perHead;

        @Override
        public void run(int index) {
            int l = c.tokens(), d = c.dim(), hd = c.headDim(), lp = ws.paddedTokens;
            int item = index / perHead, i0 = (index % perHead) * ws.queryBlock, n = Math.min(ws.queryBlock, l - i0);
            int b = item / c.heads(), head = item % c.heads();
            long s = ((long) item * l + i0) * lp;
            // Scores for all Lp columns (the padding columns are 0 and never read), softmax over the L real ones.
            AttentionGemm.nn(simd, ws.qkv, ((long) b * l + i0) * 3 * d + (long) head * hd, 3 * d, ws.kT, (long) item * hd * lp, lp,
                    ws.scores, s, lp, n, lp, hd, false);
            for (int r = 0; r < n; r++) {
                long row = s + (long) r * lp;
                float max = RowSoftmax.scaledMax(simd, ws.scores, row, l, scale);
                float sum = RowSoftmax.expShift(simd, ws.scores, row, l, scale, max);
                RowSoftmax.scale(simd, ws.scores, row, l, 1f / sum);
            }
            AttentionGemm.nn(simd, ws.scores, s, lp, ws.qkv, (long) b * l * 3 * d + 2L * d + (long) head * hd, 3 * d,
                    ws.attn, ((long) b * l + i0) * d + (long) head * hd, d, n, hd, l, false);
        }
    }

    /**
     * Online-softmax attention (the flash-attention recurrence on CPU): for each key block, rescale the running
     * output by exp(old max - new max), add exp(s - new max)·V, keep the running sum; divide once at the end.
     * Loop index {@code slot} owns scratch slot {@code slot} (the pool runs each index on one thread) and claims work
     * items dynamically, so a thread slowed by other processes does not hold back a fixed share of the work.
     */
    private final class TiledTask implements ParallelTask {
        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        int items, perHead;

        @Override
        public void run(int slot) {
            int item;
            while ((item = next.getAndIncrement()) < items) {
                block(slot, item / perHead, (item % perHead) * ws.queryBlock);
            }
        }

        private void block(int slot, int item, int i0) {
            int l = c.tokens(), d = c.dim(), hd = c.headDim(), kb = ws.keyBlock, lp = ws.paddedTokens;
            int n = Math.min(ws.queryBlock, l - i0);
            int b = item / c.heads(), head = item % c.heads();
            long q = ((long) b * l + i0) * 3 * d + (long) head * hd;
            long v = (long) b * l * 3 * d + 2L * d + (long) head * hd;
            long s = (long) slot * ws.queryBlock * kb, acc = (long) slot * ws.queryBlock * hd;
            float[] rowMax = ws.rowMax[slot], rowSum = ws.rowSum[slot];
            for (int j0 = 0; j0 < l; j0 += kb) {
                int nk = Math.min(kb, l - j0), nkp = Math.min(kb, lp - j0); // the last block computes its padding too
                AttentionGemm.nn(simd, ws.qkv, q, 3 * d, ws.kT, (long) item * hd * lp + j0, lp, ws.scores, s, kb, n, nkp, hd, false);
                for (int r = 0; r < n; r++) {
                    long row = s + (long) r * kb;
                    float max = RowSoftmax.scaledMax(simd, ws.scores, row, nk, scale);
                    if (j0 > 0) {
                        max = Math.max(max, rowMax[r]);
                        float corr = (float) Math.exp(rowMax[r] - max);
                        RowSoftmax.scale(simd, ws.acc, acc + (long) r * hd, hd, corr);
                        rowSum[r] = rowSum[r] * corr + RowSoftmax.expShift(simd, ws.scores, row, nk, scale, max);
                    } else {
                        rowSum[r] = RowSoftmax.expShift(simd, ws.scores, row, nk, scale, max);
                    }
                    rowMax[r] = max;
                }
                AttentionGemm.nn(simd, ws.scores, s, kb, ws.qkv, v + (long) j0 * 3 * d, 3 * d, ws.acc, acc, hd, n, hd, nk, j0 > 0);
            }
            for (int r = 0; r < n; r++) {
                RowSoftmax.scale(simd, ws.acc, acc + (long) r * hd, hd, 1f / rowSum[r]);
                MemorySegment.copy(ws.acc, (acc + (long) r * hd) * 4, ws.attn, (((long) b * l + i0 + r) * d + (long) head * hd) * 4,
                        (long) hd * 4);
            }
        }
    }

    @Override
    public void close() {
        ws.close();
    }
}
