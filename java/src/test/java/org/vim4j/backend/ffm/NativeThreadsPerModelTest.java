package org.vim4j.backend.ffm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.vim4j.BackendKind;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.VimConfig;

/**
 * Two NATIVE models with 1 and 2 threads, in one JVM, run concurrently: each keeps its count (the process-global
 * thread setting of ABI 1 would have flipped between them), and the answers are the single-threaded model's, bit for
 * bit (the split rules never change a result). The library keeps one pool of workers per process (OS threads named
 * vim4j-worker), as many as the largest model needs: one for the 2-thread model, none more for the 1-thread one, and
 * closing a model leaves them to the others.
 */
class NativeThreadsPerModelTest {
    @Test
    void twoNativeModelsWithDifferentThreadCountsKeepTheirs() throws Exception {
        NativeLibrary.Status status = NativeLibrary.status();
        assumeTrue(status.available(), () -> "native library not available: " + status.reason());
        int before = NativeWorkers.count();
        assumeTrue(before >= 0, "no /proc/self/task here");
        VimConfig c = VimConfig.of(64, 8, 8, 64, 2, 10);
        float[] image = new float[3 * 64 * 64];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) Math.sin(i * 0.37);
        }
        VimOptions nat = VimOptions.defaults().withBackend(BackendKind.NATIVE);
        VimModel two = VimModel.random(c, 5, nat.withThreads(2));
        try (VimModel one = VimModel.random(c, 5, nat.withThreads(1))) {
            float[] want;
            try (VimSession s = one.newSession(1, 64, 64)) {
                want = s.logits(image, 1, 64, 64);
            }
            assertEquals(0, NativeWorkers.count() - before, "a 1-thread model starts no native worker");
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> runs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    VimModel m = t % 2 == 0 ? one : two;
                    runs.add(pool.submit(() -> {
                        float[] last = null;
                        try (VimSession s = m.newSession(1, 64, 64)) {
                            for (int i = 0; i < 10; i++) {
                                last = s.logits(image, 1, 64, 64);
                            }
                        }
                        return last;
                    }));
                }
                for (Future<float[]> f : runs) {
                    assertArrayEquals(want, f.get(), "every thread count gives the single-threaded answer");
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, one.threads());
            assertEquals(2, two.threads());
            int shared = Math.max(before, 1);
            assertEquals(shared, NativeWorkers.awaitCount(shared),
                    "native workers: one pool per process, 1 worker for the 2-thread model, none more for the 1-thread one");
        } finally {
            two.close();
        }
        int shared = Math.max(before, 1);
        assertEquals(shared, NativeWorkers.awaitCount(shared), "closing a model leaves the process's pool to the others");
    }
}
