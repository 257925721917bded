package org.vim4j.backend.vector;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * vim4j's own worker pool (never the common ForkJoinPool, which belongs to the embedding application).
 *
 * <p>{@code size} threads take part in each loop: the caller plus {@code size - 1} daemon workers.
 * Dispatch allocates nothing, so steady-state inference stays off the heap. Workers spin briefly
 * between the many short loops of a forward pass, then park. One loop runs at a time; a caller that finds
 * the pool busy (another session mid-loop) runs its loop on its own thread rather than queueing, so
 * sessions never wait on each other and the cores stay busy.
 */
public final class KernelThreads implements AutoCloseable {
    private static final long SPIN_NANOS = 100_000;

    private final int size;
    private final Thread[] workers;
    private final ReentrantLock busy = new ReentrantLock();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    /** Workers currently between deciding to join a loop and leaving it; a loop ends only when this is 0. */
    private final AtomicInteger inside = new AtomicInteger();
    private volatile ParallelTask task;
    private volatile int count;
    private volatile int generation;
    private volatile Throwable failure;
    private volatile boolean closed;

    public KernelThreads(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, got " + size);
        }
        this.size = size;
        this.workers = new Thread[size - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, "vim4j-kernel-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    /** Threads that take part in a loop, the caller included. */
    public int size() {
        return size;
    }

    /** Runs {@code task.run(i)} for {@code i in [0, count)} and returns when all are done. */
    public void run(ParallelTask task, int count) {
        if (count <= 0) {
            return;
        }
        // A loop started from inside a loop body runs inline: on a worker the lock is not free, and on the caller
        // thread tryLock() would succeed (ReentrantLock is reentrant) and reset the outer loop's counters.
        if (size == 1 || count == 1 || closed || busy.isHeldByCurrentThread() || !busy.tryLock()) {
            for (int i = 0; i < count; i++) {
                task.run(i);
            }
            return;
        }
        try {
            failure = null;
            next.set(0);
            pending.set(count);
            this.count = count;
            this.task = task;
            generation++; // publishes the job to the workers
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            work(task, count);
            while (pending.get() > 0) {
                Thread.onSpinWait();
            }
            // Clear the task before waiting for stragglers: a worker that joins late then sees either no
            // task or an exhausted index counter, never this loop's task with the next loop's counter.
            this.task = null;
            while (inside.get() > 0) {
                Thread.onSpinWait();
            }
            Throwable f = failure;
            if (f != null) {
                failure = null;
                if (f instanceof RuntimeException re) {
                    throw re;
                }
                if (f instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException(f);
            }
        } finally {
            busy.unlock();
        }
    }

    private void work(ParallelTask t, int n) {
        int i;
        while ((i = next.getAndIncrement()) < n) {
            try {
                t.run(i);
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    private void workerLoop() {
        int seen = 0;
        while (!closed) {
            int g = generation;
            if (g != seen) {
                seen = g;
                inside.incrementAndGet();
                try {
                    ParallelTask t = task; // read task before count: the caller writes count first
                    if (t != null) {
                        work(t, count);
                    }
                } finally {
                    inside.decrementAndGet();
                }
                continue;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (generation == seen && !closed && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            if (generation == seen && !closed) {
                // No timeout: an idle pool costs no wake-ups. A job published between the check and the park is not
                // missed: the caller unparks every worker after publishing, and a pending unpark makes park return.
                LockSupport.park(this);
            }
        }
    }

    /** Stops the workers; later loops run on the caller's thread. */
    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
