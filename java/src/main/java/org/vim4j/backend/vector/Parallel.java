package org.vim4j.backend.vector;


/** Runs a loop on the pool, or on the calling thread when the pool is null (a buffer is thread-confined). */
final class Parallel {
    private Parallel() {
    }

    static void run(KernelThreads pool, ParallelTask task, int count) {
        if (pool != null) {
            pool.run(task, count);
        } else {
            for (int i = 0; i < count; i++) {
                task.run(i);
            }
        }
    }
}
