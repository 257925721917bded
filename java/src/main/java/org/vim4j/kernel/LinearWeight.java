package org.vim4j.kernel;

/**
 * A linear layer's weight {@code W (outFeatures, inFeatures)} and optional bias, placed once per model in
 * whatever layout its backend's GEMM wants (the scalar backend keeps PyTorch's layout; the Vector API
 * backend packs column panels). Obtained from {@link Kernels#prepareLinear}; only that backend reads it.
 */
public interface LinearWeight {
    /** N: rows of W, columns of the output. */
    int outFeatures();

    /** K: columns of W, the reduction length. */
    int inFeatures();

    boolean hasBias();
}
