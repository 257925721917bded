package org.vim4j.backend.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The worker pool every backend runs its loops on: coverage, failures, concurrency, close. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a broken pool spins rather than throws
class KernelThreadsTest {

    @Test
    void everyIndexRunsExactlyOnce() {
        for (int size : new int[] {1, 2, 3, 4}) {
            try (KernelThreads pool = new KernelThreads(size)) {
                for (int count : new int[] {0, 1, 2, 3, 7, 100, 10_000}) {
                    for (int rep = 0; rep < 20; rep++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(count, 1));
                        pool.run(hits::incrementAndGet, count);
                        for (int i = 0; i < count; i++) {
                            assertEquals(1, hits.get(i), "size " + size + " count " + count + " index " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void workersReallyTakePart() {
        try (KernelThreads pool = new KernelThreads(2)) {
            Set<String> names = ConcurrentHashMap.newKeySet();
            for (int rep = 0; rep < 200 && names.size() < 2; rep++) {
                pool.run(i -> {
                    names.add(Thread.currentThread().getName());
                    long until = System.nanoTime() + 200_000;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                }, 8);
            }
            assertEquals(2, names.size(), "threads seen: " + names);
        }
    }

    @Test
    void exceptionsPropagateAndThePoolStaysUsable() {
        try (KernelThreads pool = new KernelThreads(2)) {
            for (int rep = 0; rep < 50; rep++) {
                int bad = rep % 40;
                AtomicInteger ran = new AtomicInteger();
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.run(i -> {
                    ran.incrementAndGet();
                    if (i == bad) {
                        throw new IllegalArgumentException("boom " + i);
                    }
                }, 40));
                assertEquals("boom " + bad, e.getMessage());
                assertEquals(40, ran.get(), "the other indices still ran");
            }
            AssertionError err = new AssertionError("an Error");
            assertSame(err, assertThrows(AssertionError.class, () -> pool.run(i -> {
                if (i == 3) {
                    throw err;
                }
            }, 10)));
            AtomicIntegerArray hits = new AtomicIntegerArray(1000);
            pool.run(hits::incrementAndGet, 1000);
            for (int i = 0; i < 1000; i++) {
                assertEquals(1, hits.get(i));
            }
        }
        try (KernelThreads single = new KernelThreads(1)) {
            assertThrows(IllegalStateException.class, () -> single.run(i -> {
                throw new IllegalStateException("inline");
            }, 3));
        }
    }

    @Test
    void concurrentCallersEachGetTheirOwnLoopDone() throws Exception {
        try (KernelThreads pool = new KernelThreads(2)) {
            int callers = 4;
            CountDownLatch start = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int id = c;
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        for (int rep = 0; rep < 300; rep++) {
                            int count = 1 + (rep * 7 + id) % 97;
                            int salt = id + rep;
                            int[] out = new int[count];
                            pool.run(i -> out[i] += i * 31 + salt, count);
                            for (int i = 0; i < count; i++) {
                                if (out[i] != i * 31 + salt) {
                                    throw new AssertionError("caller " + id + " rep " + rep + " index " + i + ": " + out[i]);
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "caller-" + c);
                threads.add(t);
                t.start();
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
        }
    }

    @Test
    void loopsStartedInsideALoopBodyRunInline() {
        try (KernelThreads pool = new KernelThreads(2)) {
            for (int rep = 0; rep < 50; rep++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(40 * 7);
                pool.run(i -> pool.run(j -> hits.incrementAndGet(i * 7 + j), 7), 40);
                for (int i = 0; i < hits.length(); i++) {
                    assertEquals(1, hits.get(i), "rep " + rep + " index " + i);
                }
            }
        }
    }

    @Test
    void closedPoolRunsLoopsOnTheCaller() {
        KernelThreads pool = new KernelThreads(3);
        pool.close();
        Set<String> names = new HashSet<>();
        pool.run(i -> names.add(Thread.currentThread().getName()), 50);
        assertEquals(Set.of(Thread.currentThread().getName()), names);
        assertEquals(3, pool.size());
        assertThrows(IllegalArgumentException.class, () -> new KernelThreads(0));
        assertTrue(names.size() == 1);
    }

    @Test
    void idleWorkersSleepWithoutTimedWakeUps() throws InterruptedException {
        try (KernelThreads pool = new KernelThreads(3)) {
            pool.run(i -> { }, 8);
            Thread.sleep(100); // past the spin phase
            List<Thread> workers = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("vim4j-kernel-") && t.isAlive()) {
                    workers.add(t);
                }
            }
            assertTrue(workers.size() >= 2, "workers: " + workers);
            long deadline = System.nanoTime() + 2_000_000_000L;
            for (Thread w : workers) {
                while (w.getState() != Thread.State.WAITING && w.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                // WAITING, not TIMED_WAITING: an idle pool is not woken by a timer.
                assertTrue(w.getState() == Thread.State.WAITING || !w.isAlive(), w + " is " + w.getState());
            }
            // and it still wakes for work
            java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
            pool.run(i -> done.incrementAndGet(), 100);
            assertEquals(100, done.get());
        }
    }

    @Test
    void workersStayAwakeThroughShortSerialGaps() {
        // A forward pass alternates parallel loops with serial stretches of mostly 16-256 us; a worker that parks in
        // them costs the caller a wake-up (and often its core) at the next loop. 200 loops with 400 us gaps: the
        // worker spins and yields through them (measured on 2 busy cores: 10-18 parks; with the former 100 us spin
        // then park, 82-176).
        try (KernelThreads pool = new KernelThreads(2)) {
            AtomicInteger done = new AtomicInteger();
            pool.run(i -> done.incrementAndGet(), 2); // start the worker
            long before = pool.parks();
            for (int loop = 0; loop < 200; loop++) {
                long until = System.nanoTime() + 400_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                pool.run(i -> done.incrementAndGet(), 4);
            }
            assertEquals(2 + 200 * 4, done.get());
            long parked = pool.parks() - before;
            // Not 0: on a loaded machine the caller itself may be descheduled for more than the idle window.
            assertTrue(parked < 50, "the worker parked " + parked + " times in 200 gaps of 400 us");
        }
    }

    /** A loop body that takes long enough for every allowed worker to join, recording who ran it. */
    private static ParallelTask recording(Set<String> names) {
        return i -> {
            names.add(Thread.currentThread().getName());
            long until = System.nanoTime() + 50_000;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        };
    }

    @Test
    void modelsShareOnePoolSizedByTheLargestLimit() {
        int before = KernelThreads.sharedWorkers();
        try (KernelThreads a = KernelThreads.shared(3); KernelThreads b = KernelThreads.shared(3);
                KernelThreads c = KernelThreads.shared(2); KernelThreads d = KernelThreads.shared(1)) {
            assertEquals(Math.max(before, 2), KernelThreads.sharedWorkers(), "3-thread limits need 2 workers, shared");
            assertEquals(3, a.size());
            assertEquals(3, b.size());
            assertEquals(2, c.size());
            assertEquals(1, d.size());
        }
        assertEquals(Math.max(before, 2), KernelThreads.sharedWorkers(), "closing a limit leaves the pool to the others");
        try (KernelThreads again = KernelThreads.shared(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            again.run(hits::incrementAndGet, 100);
            for (int i = 0; i < 100; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    /** However many workers the shared pool has, a loop never runs on more threads than its limit. */
    @Test
    void noLoopExceedsItsLimitEvenWithOtherLimitsRunning() throws Exception {
        try (KernelThreads wide = KernelThreads.shared(4); KernelThreads two = KernelThreads.shared(2);
                KernelThreads one = KernelThreads.shared(1)) {
            assertTrue(KernelThreads.sharedWorkers() >= 3);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> callers = new ArrayList<>();
            Object[][] plans = {{wide, 4}, {two, 2}, {one, 1}, {two, 2}};
            for (Object[] plan : plans) {
                KernelThreads limit = (KernelThreads) plan[0];
                int max = (Integer) plan[1];
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        for (int rep = 0; rep < 150; rep++) {
                            Set<String> names = ConcurrentHashMap.newKeySet();
                            limit.run(recording(names), 12);
                            if (names.size() > max) {
                                throw new AssertionError("a " + max + "-thread limit ran a loop on " + names);
                            }
                            if (max == 1 && !names.equals(Set.of(Thread.currentThread().getName()))) {
                                throw new AssertionError("a 1-thread limit ran on " + names);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "limit-" + max + "-caller-" + callers.size());
                callers.add(t);
                t.start();
            }
            start.countDown();
            for (Thread t : callers) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            Set<String> seen = ConcurrentHashMap.newKeySet();
            for (int rep = 0; rep < 200 && seen.size() < 2; rep++) {
                Set<String> names = ConcurrentHashMap.newKeySet();
                two.run(recording(names), 12);
                assertTrue(names.size() <= 2, names.toString());
                seen.addAll(names);
            }
            assertEquals(2, seen.size(), "a 2-thread limit does get its worker: " + seen);
        }
    }
}
