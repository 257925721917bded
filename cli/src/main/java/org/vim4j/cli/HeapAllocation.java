package org.vim4j.cli;

import java.lang.management.ManagementFactory;

/** Heap bytes allocated by the threads that run inference, from HotSpot's per-thread TLAB counters. */
final class HeapAllocation {
    private HeapAllocation() {
    }

    /** The calling thread and vim4j's kernel workers. */
    static long[] vim4jThreadIds() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().startsWith("vim4j-kernel-"))
                .mapToLong(Thread::threadId).toArray();
    }

    static long allocatedBytes(long[] threadIds) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : mx.getThreadAllocatedBytes(threadIds)) {
            sum += Math.max(b, 0);
        }
        return sum;
    }
}
