package org.vim4j.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vim4j.backend.scalar.ScalarKernels;
import org.vim4j.bindings.vim4j_cuda_h;
import org.vim4j.bindings.vim4j_cuda_linear_weight;
import org.vim4j.bindings.vim4j_cuda_mixer_buffers;
import org.vim4j.bindings.vim4j_cuda_mixer_dims;
import org.vim4j.bindings.vim4j_cuda_mixer_weights;
import org.vim4j.kernel.BranchWeights;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Execution;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.MixerBuffers;
import org.vim4j.kernel.MixerDims;
import org.vim4j.kernel.MixerWeights;
import org.vim4j.kernel.PatchEmbedding;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.ScanWeights;
import org.vim4j.tensor.Tensor;

/**
 * The CUDA backend's whole-layer overrides against the scalar reference's composition of the primitives: the batched
 * patch embedding (both of its paths) and the fused mixer (on the argument structs of prepareMixer/prepareBuffers,
 * against the same weights composed on the device and on the host); and the argument structs as the library reads
 * them (each field set to a value the library rejects, its message naming that field). Needs a GPU or the CPU
 * emulation of the CUDA library.
 */
class CudaKernelsTest {
    private static final ScalarKernels REF = new ScalarKernels();

    @BeforeEach
    void device() {
        assumeTrue(CudaLibrary.status().available(), () -> "no CUDA device: " + CudaLibrary.status().reason());
    }

    private static float[] uniform(Random r, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * r.nextFloat();
        }
        return v;
    }

    private static MemorySegment host(Arena arena, float[] v) {
        return arena.allocate(Math.max(1, v.length) * 4L, 64).copyFrom(MemorySegment.ofArray(v));
    }

    private static float[] get(Execution exec, MemorySegment dev, long n) {
        float[] out = new float[(int) n];
        exec.download(dev, 0, MemorySegment.ofArray(out), 0, n);
        return out;
    }

    private static void assertClose(String what, float[] want, float[] got, double tol) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
            assertTrue(err <= tol, what + "[" + i + "]: " + got[i] + " vs " + want[i]);
        }
    }

    @Test
    void embedPatchesMatchesTheComposition() {
        // C*p*p >= D: the one-GEMM path; C*p*p < D: the embedded rows do not fit in `patches`, per-image GEMMs.
        embed(new PatchGrid(3, 20, 12, 4, 2), 16, 3);
        embed(new PatchGrid(1, 9, 7, 2, 1), 8, 3);
        embed(new PatchGrid(3, 8, 8, 4, 4), 48, 1);
    }

    private static void embed(PatchGrid grid, int d, int batch) {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        Random r = new Random(grid.hashCode() + d);
        int cpp = grid.patchInputs(), len = grid.tokens();
        float[] w = uniform(r, d * cpp, -1, 1), bias = uniform(r, d, -1, 1), cls = uniform(r, d, -1, 1);
        float[] pos = uniform(r, len * d, -1, 1), images = uniform(r, (int) (batch * grid.imageFloats()), -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Tensor wt = Tensor.copyOf(arena, "w", w, d, cpp), bt = Tensor.copyOf(arena, "b", bias, d);
            MemorySegment want = arena.allocate((long) batch * len * d * 4, 64);
            REF.embedPatches(new PatchEmbedding(REF.prepareLinear(wt, bt, arena), host(arena, cls)), host(arena, images), grid,
                    batch, host(arena, pos), arena.allocate((long) grid.patches() * cpp * 4, 64), want);

            Execution exec = k.newExecution(arena, images.length);
            PatchEmbedding pe = new PatchEmbedding(k.prepareLinear(wt, bt, arena), k.place(host(arena, cls), d, arena));
            MemorySegment posDev = k.allocate(arena, (long) len * d);
            exec.upload(host(arena, pos), 0, posDev, 0, (long) len * d);
            MemorySegment patches = k.allocate(arena, (long) k.patchImagesAtOnce(batch) * grid.patches() * cpp);
            MemorySegment tokens = k.allocate(arena, (long) batch * len * d);
            MemorySegment in = exec.input(MemorySegment.ofArray(images), images.length);
            exec.run(null, () -> k.embedPatches(pe, in, grid, batch, posDev, patches, tokens));
            assertClose("tokens " + grid + " D=" + d, want.toArray(JAVA_FLOAT), get(exec, tokens, (long) batch * len * d), 1e-5);
        }
    }

    /** A mixer's weights on the host (scalar) and the device (CUDA), from the same random values. */
    private record Mixer(MixerWeights host, MixerWeights device, MixerDims dims) {
    }

    private static Mixer mixer(CudaKernels k, Arena arena, Random r, int d, int n, int rank, int taps) {
        int e = 2 * d, xdbl = rank + 2 * n;
        MixerDims dims = new MixerDims(d, e, n, rank);
        Tensor in = Tensor.copyOf(arena, "in", uniform(r, 2 * e * d, -0.3f, 0.3f), 2 * e, d);
        Tensor out = Tensor.copyOf(arena, "out", uniform(r, d * e, -0.2f, 0.2f), d, e);
        BranchWeights[] hb = new BranchWeights[2], db = new BranchWeights[2];
        for (int dir = 0; dir < 2; dir++) {
            float[] cw = uniform(r, e * taps, -0.5f, 0.5f), cb = uniform(r, e, -0.2f, 0.2f);
            Tensor xp = Tensor.copyOf(arena, "xp", uniform(r, xdbl * e, -0.2f, 0.2f), xdbl, e);
            Tensor dp = Tensor.copyOf(arena, "dp", uniform(r, e * rank, -0.5f, 0.5f), e, rank);
            float[] at = uniform(r, n * e, -4, -0.5f), skip = uniform(r, e, 0.5f, 1.5f), dtb = uniform(r, e, -3, -1);
            hb[dir] = new BranchWeights(new ConvWeights(host(arena, cw), host(arena, cb), e, taps), REF.prepareLinear(xp, null, arena),
                    REF.prepareLinear(dp, null, arena), new ScanWeights(host(arena, at), host(arena, skip), host(arena, dtb), e, n));
            db[dir] = new BranchWeights(new ConvWeights(k.place(host(arena, cw), cw.length, arena),
                    k.place(host(arena, cb), e, arena), e, taps), k.prepareLinear(xp, null, arena),
                    k.prepareLinear(dp, null, arena), new ScanWeights(k.place(host(arena, at), at.length, arena),
                            k.place(host(arena, skip), e, arena), k.place(host(arena, dtb), e, arena), e, n));
        }
        MixerWeights hw = new MixerWeights(REF.prepareLinear(in, null, arena), hb[0], hb[1], REF.prepareLinear(out, null, arena));
        MixerWeights dw = k.prepareMixer(new MixerWeights(k.prepareLinear(in, null, arena), db[0], db[1],
                k.prepareLinear(out, null, arena)), arena);
        return new Mixer(hw, dw, dims);
    }

    @Test
    void theFusedMixerMatchesTheComposition() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        Random r = new Random(7);
        int batch = 2, len = 13, d = 8, maxRows = 40; // the buffers hold more rows than this call uses
        try (Arena arena = Arena.ofConfined()) {
            Mixer m = mixer(k, arena, r, d, 4, 2, 4);
            float[] normed = uniform(r, maxRows * d, -1, 1);
            Execution exec = k.newExecution(arena, 1);

            MemorySegment hn = host(arena, normed), hh = arena.allocate((long) maxRows * d * 4, 64);
            MixerBuffers hbuf = MixerBuffers.allocate(REF, arena, m.dims(), maxRows, hn, hh);
            REF.mixer(m.host(), hbuf, batch, len, null);
            float[] want = hh.asSlice(0, (long) batch * len * d * 4).toArray(JAVA_FLOAT);

            MemorySegment dn = k.allocate(arena, (long) maxRows * d), dh = k.allocate(arena, (long) maxRows * d);
            exec.upload(MemorySegment.ofArray(normed), 0, dn, 0, normed.length);
            MixerBuffers dbuf = k.prepareBuffers(MixerBuffers.allocate(k, arena, m.dims(), maxRows, dn, dh), arena);
            assertTrue(dbuf.fused().address() != 0 && m.device().fused().address() != 0, "the structs were built");
            exec.run("fused", () -> k.mixer(m.device(), dbuf, batch, len, null));
            exec.run("fused", () -> k.mixer(m.device(), dbuf, batch, len, null)); // replayed: y is re-zeroed
            float[] fused = get(exec, dh, (long) batch * len * d);
            assertClose("fused vs host composition", want, fused, 1e-5);
            int[] probed = {0};
            exec.run(null, () -> k.mixer(m.device(), dbuf, batch, len, (stage, data, rows, cols) -> probed[0]++));
            assertEquals(5, probed[0], "a probe sees the composed primitives' five stages");
            assertClose("device composition vs host composition", want, get(exec, dh, (long) batch * len * d), 1e-5);
        }
    }

    @Test
    void theArgumentStructsReachTheLibraryFieldByField() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        try (Arena arena = Arena.ofConfined()) {
            Mixer m = mixer(k, arena, new Random(3), 8, 4, 2, 4);
            MixerBuffers b = k.prepareBuffers(MixerBuffers.allocate(k, arena, m.dims(), 26, k.allocate(arena, 26 * 8),
                    k.allocate(arena, 26 * 8)), arena);
            MemorySegment w = m.device().fused(), buf = b.fused();
            assertEquals(vim4j_cuda_h.VIM4J_CUDA_OK(), vim4j_cuda_h.vim4j_cuda_mixer_forward(w, buf, 2, 13, MemorySegment.NULL),
                    Cuda.lastError());
            expect("'len' = 14: batch * len must be <= b->rows", vim4j_cuda_h.vim4j_cuda_mixer_forward(w, buf, 2, 14,
                    MemorySegment.NULL));
            MemorySegment dims = vim4j_cuda_mixer_buffers.dims(buf);
            vim4j_cuda_mixer_dims.d_state(dims, 999);
            expect("'b->dims.d_state' = 999", vim4j_cuda_h.vim4j_cuda_mixer_forward(w, buf, 2, 13, MemorySegment.NULL));
            vim4j_cuda_mixer_dims.d_state(dims, 4);
            MemorySegment outProj = vim4j_cuda_mixer_weights.out_proj(w);
            vim4j_cuda_linear_weight.precision(outProj, vim4j_cuda_h.VIM4J_CUDA_PRECISION_BF16());
            expect("'w->out_proj.precision' = 2: must equal w->in_proj.precision (0)",
                    vim4j_cuda_h.vim4j_cuda_mixer_forward(w, buf, 2, 13, MemorySegment.NULL));
            vim4j_cuda_linear_weight.precision(outProj, vim4j_cuda_h.VIM4J_CUDA_PRECISION_FP32());
            vim4j_cuda_linear_weight.layout(outProj, 5);
            expect("'w->out_proj.layout' = 5", vim4j_cuda_h.vim4j_cuda_mixer_forward(w, buf, 2, 13, MemorySegment.NULL));
            vim4j_cuda_linear_weight.layout(outProj, 0);
            MemorySegment xProj = org.vim4j.bindings.vim4j_cuda_branch_weights.x_proj(vim4j_cuda_mixer_weights.backward(w));
            vim4j_cuda_linear_weight.n(xProj, 11);
            expect("'w->backward.x_proj.n' = 11: must equal b->dims.dt_rank + 2 * b->dims.d_state (10)",
                    vim4j_cuda_h.vim4j_cuda_mixer_forward(w, buf, 2, 13, MemorySegment.NULL));
            vim4j_cuda_linear_weight.n(xProj, 10);
            vim4j_cuda_mixer_buffers.x_dbl_b(buf, MemorySegment.NULL);
            expect("'b->x_dbl_b': must not be NULL", vim4j_cuda_h.vim4j_cuda_mixer_forward(w, buf, 2, 13, MemorySegment.NULL));
        }
    }

    private static void expect(String message, int status) {
        assertEquals(vim4j_cuda_h.VIM4J_CUDA_ERR_INVALID_ARGUMENT(), status, Cuda.lastError());
        assertTrue(Cuda.lastError().contains(message), Cuda.lastError());
    }

    @Test
    void weightsOfAnotherBackendAreRefused() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.copyOf(arena, "w", new float[6], 2, 3);
            Kernels scalar = REF;
            assertThrows(IllegalArgumentException.class, () -> k.linear(k.allocate(arena, 3), 0, 3, 1,
                    scalar.prepareLinear(t, null, arena), k.allocate(arena, 2), 0, 2));
        }
    }
}
