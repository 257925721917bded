package org.vim4j.bench;

/**
 * One model at one shape on one backend, ready to run: the unit the harness times. Implementations allocate every
 * buffer up front, so {@link #run()} allocates nothing on the heap in steady state (the harness measures it).
 */
interface Workload extends AutoCloseable {
    /** e.g. {@code vim-tiny}, {@code deit-tiny}. */
    String model();

    /** Backend id ({@code scalar}, {@code vector}, {@code native}). */
    String backend();

    /** {@code -} for Vim, {@code full} or {@code tiled} for DeiT. */
    String attention();

    int resolution();

    int tokens();

    int batch();

    int threads();

    /** Multiply-adds of one inference of the whole batch (analytic). */
    long macs();

    /** fp32 parameter bytes (off-heap). */
    long weightBytes();

    /** Activation buffers (off-heap), sized for this batch and resolution. */
    long workspaceBytes();

    /** One inference of the whole batch. */
    void run();

    @Override
    void close();
}
