package org.vim4j.bench;

import java.lang.management.ManagementFactory;

/**
 * Heap bytes allocated by the threads that run inference (the caller and vim4j's kernel workers), from HotSpot's
 * per-thread allocation counters: the "allocated per inference" figure, which should be 0 in steady state.
 */
final class HeapCounter {
    private final long[] threadIds;
    private final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    HeapCounter() {
        threadIds = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().startsWith("vim4j-kernel-"))
                .mapToLong(Thread::threadId).toArray();
    }

    long allocatedBytes() {
        long sum = 0;
        for (long b : mx.getThreadAllocatedBytes(threadIds)) {
            sum += Math.max(b, 0);
        }
        return sum;
    }
}
