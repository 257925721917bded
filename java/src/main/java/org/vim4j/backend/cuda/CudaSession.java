package org.vim4j.kernel.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import org.vim4j.bindings.vim4j_cuda_h;
import org.vim4j.model.DeviceSession;
import org.vim4j.model.OutputKind;
import org.vim4j.model.VimConfig;

/**
 * One session's forward pass on the device: a device workspace sized once for the session's maximum batch and
 * tokens, pinned host buffers for the input and the output, one stream, and a CUDA graph per input shape (kind,
 * batch, size) captured on first use and replayed afterwards, so a batch-1 inference is one graph launch: copy in,
 * patch embedding, 24 x (add + RMSNorm, fused mixer layer), final norm, head, copy out. Everything belongs to the
 * session's arena: closing the session frees it, and any later use throws {@link IllegalStateException}.
 *
 * <p>The sequence of device operations is exactly {@code VimForward.run}'s (vim-spec.md §2), with the patch
 * embedding batched over images and each mixer layer one {@code vim4j_cuda_mixer_forward}.
 */
final class CudaSession implements DeviceSession {
    /** Graphs kept per session; beyond this many shapes, runs go without a graph. */
    static final int MAX_GRAPHS = 16;

    private record Shape(OutputKind kind, int batch, int height, int width) {
    }

    private final DeviceWeights w;
    private final VimConfig c;
    private final Arena arena;
    private final int precision;
    private final boolean useGraphs;
    private final int maxBatch, maxTokens;
    private final MemorySegment stream;
    private final MemorySegment input, patches, residual, hidden, normed, xz, xcF, xcB, xdF, xdB, y, pos, logits;
    private final MemorySegment pinnedIn, pinnedOut;
    private final Map<Shape, MemorySegment> graphs = new HashMap<>();
    private int posGh = -1, posGw = -1;

    CudaSession(DeviceWeights w, Arena arena, int maxBatch, int maxTokens, int precision, boolean useGraphs) {
        this.w = w;
        this.c = w.config();
        this.arena = arena;
        this.precision = precision;
        this.useGraphs = useGraphs;
        this.maxBatch = maxBatch;
        this.maxTokens = maxTokens;
        long rows = (long) maxBatch * maxTokens;
        long d = c.embedDim(), e = c.dInner(), xdbl = c.xProjOut();
        long inputFloats = (long) maxBatch * c.channels() * maxPixels(c, maxTokens - 1);
        this.stream = CudaStream.create(arena);
        this.input = dev(inputFloats);
        this.patches = dev((long) maxBatch * (maxTokens - 1) * c.patchInputs());
        this.residual = dev(rows * d);
        this.hidden = dev(rows * d);
        this.normed = dev(rows * d);
        this.xz = dev(rows * 2 * e);
        this.xcF = dev(rows * e);
        this.xcB = dev(rows * e);
        this.xdF = dev(rows * xdbl);
        this.xdB = dev(rows * xdbl);
        this.y = dev(rows * e);
        this.pos = dev((long) maxTokens * d);
        this.logits = dev((long) maxBatch * c.numClasses());
        this.pinnedIn = DeviceArena.allocatePinned(arena, inputFloats * 4);
        this.pinnedOut = DeviceArena.allocatePinned(arena, Math.max(rows * d, (long) maxBatch * c.numClasses()) * 4);
    }

    private MemorySegment dev(long floats) {
        return DeviceArena.allocate(arena, Math.max(floats, 1) * 4);
    }

    /**
     * The most pixels per channel an input may have while its patch grid has at most {@code patches} patches:
     * a side of g patches spans at most (g-1)*stride + patch + stride-1 pixels; maximised over grids gh x gw.
     */
    static long maxPixels(VimConfig c, int patches) {
        long best = 0;
        int s = c.stride(), p = c.patchSize();
        for (int gh = 1; gh <= patches; gh++) {
            int gw = patches / gh;
            long h = (long) (gh - 1) * s + p + s - 1, wd = (long) (gw - 1) * s + p + s - 1;
            best = Math.max(best, h * wd);
        }
        return best;
    }

    @Override
    public void run(OutputKind kind, MemorySegment in, int batch, int gh, int gw, int height, int width, MemorySegment posEmbed,
            MemorySegment output) {
        int d = c.embedDim(), len = gh * gw + 1;
        if (batch > maxBatch || len > maxTokens) {
            throw new IllegalArgumentException("batch " + batch + " / tokens " + len + " exceed this session's " + maxBatch
                    + " / " + maxTokens);
        }
        long inBytes = (long) batch * c.channels() * height * width * 4;
        if (inBytes > pinnedIn.byteSize()) {
            throw new IllegalArgumentException(height + "x" + width + " input exceeds the device input buffer");
        }
        if (gh != posGh || gw != posGw) { // a new grid: its position embedding, outside any graph
            CudaStream.copy(pos, nativeCopy(posEmbed, (long) len * d * 4), (long) len * d * 4, stream);
            CudaStream.synchronize(stream);
            posGh = gh;
            posGw = gw;
        }
        MemorySegment.copy(in, 0, pinnedIn, 0, inBytes);
        Shape shape = new Shape(kind, batch, height, width);
        MemorySegment graph = useGraphs ? graphs.get(shape) : null;
        if (graph == null && useGraphs && graphs.size() < MAX_GRAPHS) {
            CudaStream.beginCapture(stream);
            try {
                enqueue(kind, batch, gh, gw, height, width);
            } catch (RuntimeException ex) {
                try {
                    CudaStream.endCapture(stream, arena); // leave the stream usable; the broken capture is discarded
                } catch (RuntimeException suppressed) {
                    ex.addSuppressed(suppressed);
                }
                throw ex;
            }
            graph = CudaStream.endCapture(stream, arena);
            graphs.put(shape, graph);
        }
        if (graph != null) {
            CudaStream.launch(graph, stream);
        } else {
            enqueue(kind, batch, gh, gw, height, width);
        }
        CudaStream.synchronize(stream);
        MemorySegment.copy(pinnedOut, 0, output, 0, outputFloats(kind, batch, len) * 4);
    }

    private long outputFloats(OutputKind kind, int batch, int len) {
        return switch (kind) {
            case LOGITS -> (long) batch * c.numClasses();
            case CLS -> (long) batch * c.embedDim();
            case TOKENS -> (long) batch * len * c.embedDim();
        };
    }

    private MemorySegment nativeCopy(MemorySegment host, long bytes) {
        if (host.isNative()) {
            return host;
        }
        MemorySegment tmp = arena.allocate(bytes, 64);
        MemorySegment.copy(host, 0, tmp, 0, bytes);
        return tmp;
    }

    /** Enqueues one forward on the stream (captured into a graph, or run directly). */
    private void enqueue(OutputKind kind, int batch, int gh, int gw, int height, int width) {
        int d = c.embedDim(), e = c.dInner(), m = gh * gw, len = m + 1, cls = m / 2, rows = batch * len;
        int cpp = c.patchInputs();
        CudaStream.copy(input, pinnedIn, (long) batch * c.channels() * height * width * 4, stream);
        // 1-3. patch embedding for all images, then tokens with the class token at M/2 plus positions.
        check(vim4j_cuda_h.vim4j_cuda_im2col(input, batch, c.channels(), height, width, c.patchSize(), c.stride(), patches,
                stream), "im2col");
        linear(patches, cpp, batch * m, w.patchEmbed(), hidden, d);
        check(vim4j_cuda_h.vim4j_cuda_embed_tokens(hidden, w.clsToken(), pos, residual, batch, m, d, stream), "embed tokens");
        // 4. blocks
        for (int l = 0; l < c.depth(); l++) {
            DeviceWeights.Block b = w.blocks()[l];
            check(vim4j_cuda_h.vim4j_cuda_add_rms_norm(residual, l == 0 ? MemorySegment.NULL : hidden, b.norm(), normed, rows,
                    d, c.normEps(), stream), "add_rms_norm");
            DeviceWeights.Branch f = b.forward(), r = b.backward();
            check(vim4j_cuda_h.vim4j_cuda_mixer_forward(normed, hidden, batch, len, d, e, c.dState(), c.dtRank(), c.dConv(),
                    b.inProj().weight(), b.outProj().weight(),
                    f.convW(), f.convB(), f.xProj().weight(), f.dtProj().weight(), f.dtBias(), f.aT(), f.dSkip(),
                    r.convW(), r.convB(), r.xProj().weight(), r.dtProj().weight(), r.dtBias(), r.aT(), r.dSkip(),
                    xz, xcF, xcB, xdF, xdB, y, precision, stream), "mixer layer " + l);
        }
        // 5-7. final add + norm; the output.
        check(vim4j_cuda_h.vim4j_cuda_add_rms_norm(residual, hidden, w.normF(), normed, rows, d, c.normEps(), stream),
                "final norm");
        switch (kind) {
            case LOGITS -> {
                CudaLinear head = w.head();
                check(vim4j_cuda_h.vim4j_cuda_linear(normed.asSlice((long) cls * d * 4), (long) len * d, batch, head.weight(),
                        head.bias(), head.outFeatures(), head.inFeatures(), logits, head.outFeatures(), precision, stream), "head");
                CudaStream.copy(pinnedOut, logits, (long) batch * c.numClasses() * 4, stream);
            }
            case TOKENS -> CudaStream.copy(pinnedOut, normed, (long) rows * d * 4, stream);
            case CLS -> {
                for (int b = 0; b < batch; b++) {
                    CudaStream.copy(pinnedOut.asSlice((long) b * d * 4), normed.asSlice(((long) b * len + cls) * d * 4),
                            (long) d * 4, stream);
                }
            }
        }
    }

    private void linear(MemorySegment a, int lda, int m, CudaLinear lw, MemorySegment out, int ldc) {
        check(vim4j_cuda_h.vim4j_cuda_linear(a, lda, m, lw.weight(), lw.bias(), lw.outFeatures(), lw.inFeatures(), out, ldc,
                precision, stream), "linear");
    }

    private static void check(int status, String what) {
        Cuda.check(status, what);
    }
}
