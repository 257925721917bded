package org.vim4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vim4j.BackendKind;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.backend.vector.KernelThreads;
import org.vim4j.VimConfig;

/**
 * Thread counts belong to models: two models of one backend with different counts, loaded and run concurrently in one
 * JVM, each keep theirs (no JVM-wide setting that the last model wins), and give the answers a single-threaded model
 * gives. The count a model reports is the limit its kernels use: the vector backend's models share one pool per JVM
 * (KernelThreadsTest checks that no loop exceeds its model's limit), and the native backend's runtimes are limits on
 * the library's one pool.
 */
class ThreadsPerModelTest {
    static List<BackendKind> backends() {
        return CpuBackends.available().stream().filter(k -> k != BackendKind.SCALAR).toList();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void twoModelsWithDifferentThreadCountsKeepTheirs(BackendKind kind) throws Exception {
        VimConfig c = VimConfig.of(64, 8, 8, 64, 2, 10);
        float[] image = new float[3 * 64 * 64];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) Math.sin(i * 0.37);
        }
        java.util.Set<Thread> before = kernelWorkers();
        int sharedBefore = KernelThreads.sharedWorkers();
        try (VimModel one = VimModel.random(c, 5, VimOptions.defaults().withBackend(kind).withThreads(1));
                VimModel two = VimModel.random(c, 5, VimOptions.defaults().withBackend(kind).withThreads(2));
                VimModel reference = VimModel.random(c, 5, VimOptions.defaults().withBackend(kind).withThreads(1))) {
            float[] want;
            try (VimSession s = reference.newSession(1, 64, 64)) {
                want = s.logits(image, 1, 64, 64);
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> runs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    VimModel m = t % 2 == 0 ? one : two;
                    runs.add(pool.submit(() -> {
                        float[] last = null;
                        try (VimSession s = m.newSession(1, 64, 64)) {
                            for (int i = 0; i < 5; i++) {
                                last = s.logits(image, 1, 64, 64);
                            }
                        }
                        return last;
                    }));
                }
                for (Future<float[]> f : runs) {
                    float[] got = f.get();
                    for (int i = 0; i < want.length; i++) {
                        assertTrue(Math.abs(got[i] - want[i]) <= 1e-4f, kind + ": logit " + i + " " + got[i] + " vs " + want[i]);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            if (kind == BackendKind.VECTOR) { // one pool per JVM: workers = the largest thread count asked for - 1
                java.util.Set<Thread> workers = kernelWorkers();
                workers.removeAll(before);
                assertEquals(Math.max(sharedBefore, 1), KernelThreads.sharedWorkers(),
                        "vector: the shared pool grew to 1 worker for the 2-thread model, none for the 1-thread models");
                assertTrue(workers.size() <= 1, "vector: at most one new worker for three models: " + workers);
            }
            assertEquals(1, one.threads(), kind + ": the 1-thread model");
            assertEquals(2, two.threads(), kind + ": the 2-thread model");
            try (VimSession s = one.newSession(1, 64, 64)) {
                assertArrayEquals(want, s.logits(image, 1, 64, 64), kind + ": a 1-thread model is deterministic");
            }
        }
    }

    private static java.util.Set<Thread> kernelWorkers() {
        java.util.Set<Thread> s = new java.util.HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("vim4j-kernel-")) {
                s.add(t);
            }
        }
        return s;
    }
}
