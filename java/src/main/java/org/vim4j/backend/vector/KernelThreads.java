package org.vim4j.backend.vector;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * vim4j's kernel threads (never the common ForkJoinPool, which belongs to the embedding application): a limit of
 * {@link #size()} threads per loop, the caller plus up to {@code size - 1} daemon workers of a pool.
 *
 * <p>Models share one pool per JVM ({@link #shared(int)}, what the vector backend uses): its workers are started on
 * first need and number one less than the largest thread count any model asked for, so by default (each model uses all
 * processors, see {@code Backends.defaultThreads}) the JVM runs at most {@code processors - 1} kernel workers however
 * many models it loads, and a model with {@code threads = 2} uses at most 2 threads (its caller and one worker) in any
 * loop. {@code Runtime.availableProcessors()}, and so the default, follows the container's CPU quota. A private pool
 * ({@link #KernelThreads(int)}) is for tests and benchmarks that must not share.
 *
 * <p>Dispatch allocates nothing, so steady-state inference stays off the heap. Workers spin, then yield, through the
 * serial stretches between the many short loops of a forward pass, and park without a timer after about a millisecond
 * idle. One loop runs on a pool at a time; a caller that finds it
 * busy (another session or another model mid-loop) runs its loop on its own thread rather than queueing, so sessions
 * never wait on each other and the cores stay busy. Worker {@code i} takes part in a loop only if {@code i} is below the
 * loop's helper count, so no loop ever has more than its limit of threads.
 */
public final class KernelThreads implements AutoCloseable {
    private static final Object SHARED_LOCK = new Object();
    private static Pool shared;

    private final Pool pool;
    private final int size;
    private final boolean ownsPool;
    private volatile boolean closed;

    /** A private pool of {@code size} threads, the caller included; {@link #close()} stops its workers. */
    public KernelThreads(int size) {
        this(new Pool("vim4j-kernel-"), checked(size), true);
    }

    private KernelThreads(Pool pool, int size, boolean ownsPool) {
        this.pool = pool;
        this.size = size;
        this.ownsPool = ownsPool;
        pool.ensureWorkers(size - 1);
    }

    /**
     * At most {@code size} threads per loop (the caller included) of the JVM's shared pool, which grows to
     * {@code size - 1} workers if it has fewer. {@link #close()} only ends this limit's use of the pool.
     */
    public static KernelThreads shared(int size) {
        checked(size);
        Pool p;
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                shared = new Pool("vim4j-kernel-");
            }
            p = shared;
        }
        return new KernelThreads(p, size, false);
    }

    /** Workers the JVM's shared pool has started so far (0 before any model with more than one thread). */
    public static int sharedWorkers() {
        synchronized (SHARED_LOCK) {
            return shared == null ? 0 : shared.workers.length;
        }
    }

    private static int checked(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, got " + size);
        }
        return size;
    }

    /** Threads that take part in a loop, the caller included (at most). */
    public int size() {
        return size;
    }

    /** Runs {@code task.run(i)} for {@code i in [0, count)} on at most {@link #size()} threads; returns when all are done. */
    public void run(ParallelTask task, int count) {
        if (closed) {
            Pool.inline(task, count);
        } else {
            pool.run(task, count, size - 1);
        }
    }

    /** How many times this pool's workers have parked so far (tests). */
    long parks() {
        return pool.parks.get();
    }

    /** Later loops run on the caller's thread; a private pool also stops its workers. */
    @Override
    public void close() {
        closed = true;
        if (ownsPool) {
            pool.close();
        }
    }

    /** The workers and the one loop they are running. */
    private static final class Pool {
        /**
         * How long an idle worker waits for the next loop before it parks: first spinning ({@link #SPIN_NANOS}), then
         * yielding its core to any other runnable thread ({@link #YIELD_NANOS}). A forward pass's loops are separated
         * by serial stretches of mostly 16-256 us (a Vim-Tiny layer, batch 1); a worker that parks in them is woken by
         * the next loop's unpark, which costs the caller a futex wake and often its core (measured: ~100 parks and as
         * many involuntary switches of the calling thread per inference with a 100 us spin, the source of the p99
         * tail). Yielding keeps the worker ready through those gaps without taking the core from the JIT compiler
         * threads or another process, so an idle pool still sleeps after about a millisecond.
         */
        static final long SPIN_NANOS = 20_000;
        static final long YIELD_NANOS = 1_000_000;

        private final String namePrefix;
        private volatile Thread[] workers = new Thread[0];
        private final ReentrantLock busy = new ReentrantLock();
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger pending = new AtomicInteger();
        /** Workers currently between deciding to join a loop and leaving it; a loop ends only when this is 0. */
        private final AtomicInteger inside = new AtomicInteger();
        private volatile ParallelTask task;
        private volatile int count;
        /** Workers with an index below this take part in the current loop. */
        private volatile int helpers;
        private volatile int generation;
        private volatile Throwable failure;
        private volatile boolean closed;
        /** Times a worker of this pool parked (tests: the idle protocol). */
        private final java.util.concurrent.atomic.AtomicLong parks = new java.util.concurrent.atomic.AtomicLong();

        Pool(String namePrefix) {
            this.namePrefix = namePrefix;
        }

        /** Starts workers until there are {@code n}. */
        synchronized void ensureWorkers(int n) {
            Thread[] w = workers;
            if (w.length >= n || closed) {
                return;
            }
            Thread[] grown = java.util.Arrays.copyOf(w, n);
            for (int i = w.length; i < n; i++) {
                int index = i;
                Thread t = new Thread(() -> workerLoop(index), namePrefix + (i + 1));
                t.setDaemon(true);
                grown[i] = t;
            }
            workers = grown;
            for (int i = w.length; i < n; i++) {
                grown[i].start();
            }
        }

        static void inline(ParallelTask task, int count) {
            for (int i = 0; i < count; i++) {
                task.run(i);
            }
        }

        void run(ParallelTask task, int count, int maxHelpers) {
            if (count <= 0) {
                return;
            }
            Thread[] w = workers;
            int h = Math.min(maxHelpers, w.length);
            // A loop started from inside a loop body runs inline: on a worker the lock is not free, and on the caller
            // thread tryLock() would succeed (ReentrantLock is reentrant) and reset the outer loop's counters.
            if (h <= 0 || count == 1 || closed || busy.isHeldByCurrentThread() || !busy.tryLock()) {
                inline(task, count);
                return;
            }
            try {
                failure = null;
                next.set(0);
                pending.set(count);
                this.count = count;
                this.helpers = h;
                this.task = task; // written after count and helpers: a worker that reads this task sees this loop's
                generation++; // publishes the job to the workers
                for (int i = 0; i < h; i++) {
                    LockSupport.unpark(w[i]);
                }
                work(task, count);
                awaitZero(pending);
                // Clear the task before waiting for stragglers: a worker that joins late then sees either no
                // task or an exhausted index counter, never this loop's task with the next loop's counter.
                this.task = null;
                awaitZero(inside);
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

        /**
         * Waits for {@code c} to reach 0: spins, then yields, so a worker that was preempted holding the loop's last
         * task gets the core back at once rather than after the caller's time slice (two threads on two busy cores).
         */
        private static void awaitZero(AtomicInteger c) {
            if (c.get() <= 0) {
                return;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (c.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
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

        private void workerLoop(int index) {
            int seen = 0;
            while (!closed) {
                int g = generation;
                if (g != seen) {
                    seen = g;
                    inside.incrementAndGet();
                    try {
                        // Read the task first: while this worker is inside, the loop that owns the task cannot end (its
                        // caller waits for inside == 0), so count and helpers read next are that loop's.
                        ParallelTask t = task;
                        if (t != null && index < helpers) {
                            work(t, count);
                        }
                    } finally {
                        inside.decrementAndGet();
                    }
                    continue;
                }
                long idle = System.nanoTime();
                long spinUntil = idle + SPIN_NANOS, yieldUntil = idle + YIELD_NANOS;
                while (generation == seen && !closed && System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                }
                while (generation == seen && !closed && System.nanoTime() < yieldUntil) {
                    Thread.yield();
                }
                if (generation == seen && !closed) {
                    // No timeout: an idle pool costs no wake-ups. A job published between the check and the park is not
                    // missed: the caller unparks its helpers after publishing, and a pending unpark makes park return.
                    // A worker that is not a helper of the new job parks again at once.
                    parks.incrementAndGet();
                    LockSupport.park(this);
                }
            }
        }

        synchronized void close() {
            closed = true;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
    }
}
