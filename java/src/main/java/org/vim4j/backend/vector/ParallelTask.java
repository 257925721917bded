package org.vim4j.backend.vector;

/**
 * One parallel loop body: {@code run(i)} for every {@code i < count}, in any order, on any pool thread.
 * Kernels keep reusable task objects (one per calling thread) so dispatching allocates nothing.
 */
@FunctionalInterface
public interface ParallelTask {
    void run(int index);
}
