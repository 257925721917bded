package org.vim4j.bench.deit;

import java.lang.foreign.Arena;

import org.vim4j.io.StateDict;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.backend.vector.KernelThreads;
import org.vim4j.kernel.Kernels;

/**
 * The DeiT baseline on one vim4j backend: that backend's kernels (its GEMM for every projection) and its own worker
 * pool, which also runs the DeiT-only ops (LayerNorm, GELU, attention). The SCALAR backend runs those ops as plain
 * loops on one thread, like Vim's scalar reference; every other backend gets their Vector API versions.
 */
public final class DeitModel implements AutoCloseable {
    final DeitConfig config;
    final BackendKind backend;
    /** Runs the DeiT-only ops (LayerNorm, GELU, attention), which are not part of Vim's kernel contract. */
    final KernelThreads threads;
    final Kernels kernels;
    final DeitWeights weights;
    final boolean simd;
    private final Arena arena = Arena.ofShared();
    /** Set when this model owns its source tensors (a backend may keep pointing at them instead of copying). */
    private StateDict owned;

    /** Places {@code sd} for {@code backend}; the caller keeps owning {@code sd} and must close it after this model. */
    public DeitModel(StateDict sd, DeitConfig config, BackendKind backend, int threadCount) {
        this.config = config;
        int t = backend == BackendKind.SCALAR ? 1 : threadCount;
        this.backend = backend;
        this.threads = new KernelThreads(t);
        try {
            this.kernels = Backends.create(backend, t);
            this.weights = DeitWeights.place(sd, config, kernels, arena);
        } catch (RuntimeException e) {
            threads.close();
            arena.close();
            throw e;
        }
        this.simd = backend != BackendKind.SCALAR;
    }

    /** Random weights of {@code config}'s shape (timing only). */
    public static DeitModel random(DeitConfig config, long seed, BackendKind backend, int threadCount) {
        StateDict sd = DeitWeights.random(config, seed);
        try {
            DeitModel m = new DeitModel(sd, config, backend, threadCount);
            m.owned = sd;
            return m;
        } catch (RuntimeException e) {
            sd.close();
            throw e;
        }
    }

    public DeitConfig config() {
        return config;
    }

    public int threads() {
        return threads.size();
    }

    public BackendKind backend() {
        return backend;
    }

    /** Off-heap bytes of the fp32 parameters (counted the same way for Vim and every backend; packed copies not included). */
    public long weightBytes() {
        return config.parameterCount() * 4;
    }

    /** A session for up to {@code maxBatch} images with the default attention blocking (64 queries x 256 keys). */
    public DeitSession newSession(int maxBatch, AttentionKind kind) {
        return newSession(maxBatch, kind, 64, 256);
    }

    public DeitSession newSession(int maxBatch, AttentionKind kind, int queryBlock, int keyBlock) {
        return new DeitSession(this, maxBatch, kind, queryBlock, keyBlock);
    }

    @Override
    public void close() {
        threads.close();
        arena.close();
        kernels.close();
        if (owned != null) {
            owned.close();
        }
    }
}
