package org.vim4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.BackendKind;
import org.vim4j.VimConfig;

/**
 * One model shared by 16 threads (on however few cores), each thread with its own session: every result must be
 * bit-identical to the single-threaded result for the same input and batch size, on every CPU backend. The
 * model's kernel pool is shared too, so this also covers sessions that find the pool busy and run their loops
 * inline: a different split of work must not change a single bit.
 *
 * <p>Load (per backend): the embedded Fashion-MNIST model, 16 threads x {@value #ROUNDS} rounds of a batch-1 and a
 * batch-3 call (vector, native: 3200 calls, 6400 images per backend; scalar, slow by design: one batch-1 call per
 * thread); then a Vim-Tiny-shaped random model (D=192, 24 layers) at 64x64, 16 threads x 2 calls (scalar: 32x32,
 * 1 call).
 * {@code -Dvim4j.concurrency.rounds=N} scales the embedded-model part.
 *
 * <p>The single-threaded references are computed first, on a cold JVM, so a kernel whose bits depend on the JIT
 * tier fails here too (the vector RMSNorm's {@code reduceLanes} did, before its fixed-order sum).
 */
class ConcurrencyTest {
    static final int THREADS = 16;
    static final int ROUNDS = Integer.getInteger("vim4j.concurrency.rounds", 100);
    static final int INPUTS = 8;

    static List<BackendKind> backends() {
        return CpuBackends.available();
    }

    /** Deterministic normalised images; {@code inputs[i]} holds {@code batch} images. */
    static float[][] inputs(int count, int batch, int floatsPerImage, long seed) {
        float[][] x = new float[count][batch * floatsPerImage];
        SplittableRandom r = new SplittableRandom(seed);
        for (float[] a : x) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
        }
        return x;
    }

    /** Runs {@code body(thread, round)} on THREADS platform threads, all released at once; returns failures. */
    static List<Throwable> hammer(int rounds, Body body) throws InterruptedException {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().name("vim4j-test-user-" + t).start(() -> {
                try {
                    start.await();
                    body.run(id, rounds);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(5));
            assertTrue(!t.isAlive(), t.getName() + " did not finish");
        }
        return new ArrayList<>(failures);
    }

    @FunctionalInterface
    interface Body {
        void run(int thread, int rounds) throws Exception;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sixteenThreadsShareTheEmbeddedModelWithBitIdenticalResults(BackendKind kind) throws Exception {
        // Scalar runs the embedded model at ~0.3 s a call on this project's machine: one round per thread.
        int rounds = kind == BackendKind.SCALAR ? Math.max(1, ROUNDS / 100) : ROUNDS;
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind).withThreads(2))) {
            float[][] one = inputs(INPUTS, 1, 784, 1);
            float[][] three = inputs(INPUTS, 3, 784, 2);
            float[][] wantOne = new float[INPUTS][], wantThree = new float[INPUTS][];
            try (VimSession s = m.newSession(3, 28, 28)) {
                for (int i = 0; i < INPUTS; i++) {
                    wantOne[i] = s.logits(one[i], 1, 28, 28);
                    wantThree[i] = s.logits(three[i], 3, 28, 28);
                }
            }
            AtomicLong images = new AtomicLong();
            List<Throwable> failures = hammer(rounds, (t, n) -> {
                try (VimSession s = m.newSession(3, 28, 28)) {
                    for (int r = 0; r < n; r++) {
                        int i = (t * 7 + r) % INPUTS; // threads walk the inputs out of phase
                        check(kind + " thread " + t + " round " + r + " batch 1", wantOne[i], s.logits(one[i], 1, 28, 28));
                        images.addAndGet(1);
                        if (kind != BackendKind.SCALAR) { // scalar: batch 1 only, to keep its share of CI short
                            check(kind + " thread " + t + " round " + r + " batch 3", wantThree[i], s.logits(three[i], 3, 28, 28));
                            images.addAndGet(3);
                        }
                    }
                }
            });
            assertNoFailures(failures);
            int callsPerRound = kind == BackendKind.SCALAR ? 1 : 2;
            assertEquals((long) THREADS * rounds * (callsPerRound == 1 ? 1 : 4), images.get());
            System.out.printf("concurrency: %s, embedded model, %d threads on %d cores, %d calls, %d images, all bit-identical%n",
                    kind.id(), THREADS, Runtime.getRuntime().availableProcessors(), THREADS * rounds * callsPerRound, images.get());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sixteenThreadsShareAVimTinyShapedModel(BackendKind kind) throws Exception {
        // 64x64 (17 tokens): the first calls run before the JIT has compiled the kernels, slowly; scalar stays slow.
        int size = kind == BackendKind.SCALAR ? 32 : 64;
        int rounds = kind == BackendKind.SCALAR ? 1 : 2;
        try (VimModel m = VimModel.random(VimConfig.tiny(), 11, VimOptions.defaults().withBackend(kind).withThreads(2))) {
            float[][] x = inputs(2, 1, 3 * size * size, 3);
            float[][] want = new float[2][];
            try (VimSession s = m.newSession(1, size, size)) {
                for (int i = 0; i < 2; i++) {
                    want[i] = s.classFeatures(x[i], 1, size, size);
                }
            }
            List<Throwable> failures = hammer(rounds, (t, n) -> {
                try (VimSession s = m.newSession(1, size, size)) {
                    for (int r = 0; r < n; r++) {
                        int i = (t + r) % 2;
                        check(kind + " tiny thread " + t + " round " + r, want[i], s.classFeatures(x[i], 1, size, size));
                    }
                }
            });
            assertNoFailures(failures);
            System.out.printf("concurrency: %s, Vim-Tiny-shaped model at %dx%d, %d threads, %d calls, all bit-identical%n",
                    kind.id(), size, size, THREADS, THREADS * rounds);
        }
    }

    /**
     * One session misused by several threads at once: each call either runs alone and returns exactly the right
     * answer, or is refused with an IllegalStateException naming the holder. Never a blend of two runs.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void aSessionSharedByThreadsRefusesOverlapsAndNeverMixesResults(BackendKind kind) throws Exception {
        int rounds = kind == BackendKind.SCALAR ? 5 : 150;
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind).withThreads(1));
                VimSession shared = m.newSession()) {
            float[][] x = inputs(INPUTS, 1, 784, 4);
            float[][] want = new float[INPUTS][];
            for (int i = 0; i < INPUTS; i++) {
                want[i] = shared.logits(x[i], 1, 28, 28);
            }
            AtomicInteger ok = new AtomicInteger(), refused = new AtomicInteger();
            List<Throwable> failures = hammer(rounds, (t, n) -> {
                for (int r = 0; r < n; r++) {
                    int i = (t + r) % INPUTS;
                    try {
                        check(kind + " shared session thread " + t, want[i], shared.logits(x[i], 1, 28, 28));
                        ok.incrementAndGet();
                    } catch (IllegalStateException e) {
                        if (!e.getMessage().contains("is in use by thread 'vim4j-test-user-")) {
                            throw e;
                        }
                        refused.incrementAndGet();
                    }
                }
            });
            assertNoFailures(failures);
            assertEquals(THREADS * rounds, ok.get() + refused.get());
            assertTrue(refused.get() > 0, "16 threads on one session must collide at least once");
            assertTrue(ok.get() > 0);
            System.out.printf("concurrency: %s, one session misused by %d threads: %d calls ran (all correct), %d refused%n",
                    kind.id(), THREADS, ok.get(), refused.get());
        }
    }

    static void check(String where, float[] want, float[] got) {
        if (!Arrays.equals(want, got)) {
            int i = Arrays.mismatch(want, got);
            fail(where + ": result differs from the single-threaded one at " + i + ": " + want[i] + " vs " + got[i]);
        }
    }

    static void assertNoFailures(List<Throwable> failures) {
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " thread(s) failed; first: " + failures.getFirst());
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }
}
