package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.vim4j.kernel.Stage;
import org.vim4j.BackendKind;
import org.vim4j.OutputKind;
import org.vim4j.model.StageObserver;
import org.vim4j.VimConfig;

/** Sessions, batches, resolutions, misuse and close semantics, on small random models. */
class ModelLifecycleTest {
    static final VimConfig SMALL = new VimConfig(16, 4, 4, 3, 16, 2, 8, 4, 2, 1, 10, 1e-5f);
    static final VimOptions SCALAR = VimOptions.defaults().withBackend(BackendKind.SCALAR);

    static float[] image(int batch, int h, int w, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[batch * 3 * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    @Test
    void batchedResultsEqualOneImageAtATime() {
        try (VimModel m = VimModel.random(SMALL, 5, SCALAR); VimSession s = m.newSession(3, 16, 16)) {
            float[] x = image(3, 16, 16, 1);
            float[] all = s.logits(x, 3, 16, 16);
            int per = 3 * 16 * 16;
            for (int b = 0; b < 3; b++) {
                float[] one = s.logits(java.util.Arrays.copyOfRange(x, b * per, (b + 1) * per), 1, 16, 16);
                for (int j = 0; j < 10; j++) {
                    assertEquals(one[j], all[b * 10 + j], 1e-6f, "image " + b + " class " + j);
                }
            }
        }
    }

    @Test
    void classFeaturesAreTheMiddleTokenOfTheTokenFeatures() {
        try (VimModel m = VimModel.random(SMALL, 5, SCALAR); VimSession s = m.newSession(2, 24, 20)) {
            float[] x = image(2, 24, 20, 2);
            float[] tokens = s.tokenFeatures(x, 2, 24, 20); // 6x5 grid: 31 tokens, class token at 15
            float[] cls = s.classFeatures(x, 2, 24, 20);
            assertEquals(2 * 31 * 16, tokens.length);
            for (int b = 0; b < 2; b++) {
                for (int c = 0; c < 16; c++) {
                    assertEquals(tokens[(b * 31 + 15) * 16 + c], cls[b * 16 + c], 0f);
                }
            }
        }
    }

    @Test
    void anotherResolutionRunsAndReturnsToTheNativeOneUnchanged() {
        try (VimModel m = VimModel.random(SMALL, 5, SCALAR); VimSession s = m.newSession(1, 32, 32)) {
            float[] x16 = image(1, 16, 16, 3);
            float[] before = s.logits(x16, 1, 16, 16);
            float[] big = s.logits(image(1, 32, 28, 4), 1, 32, 28);
            for (float v : big) {
                assertTrue(Float.isFinite(v));
            }
            assertArrayEquals(before, s.logits(x16, 1, 16, 16), 0f);
        }
    }

    @Test
    void badInputsAreClearErrors() {
        try (VimModel m = VimModel.random(SMALL, 5, SCALAR); VimSession s = m.newSession(2, 16, 16)) {
            VimException e = assertThrows(VimException.class, () -> s.logits(image(3, 16, 16, 1), 3, 16, 16));
            assertEquals("batch 3 is outside this session's range 1..2", e.getMessage());
            e = assertThrows(VimException.class, () -> s.logits(new float[100], 1, 16, 16));
            assertEquals("input holds 100 floats; 1 image(s) of 3x16x16 need exactly 768 (wrong channel count or image size?)",
                    e.getMessage());
            e = assertThrows(VimException.class, () -> s.logits(image(1, 20, 20, 1), 1, 20, 20));
            assertTrue(e.getMessage().contains("needs 26 tokens"), e.getMessage());
            e = assertThrows(VimException.class, () -> s.logits(image(1, 3, 3, 1), 1, 3, 3));
            assertTrue(e.getMessage().contains("smaller than the 4-pixel patch"), e.getMessage());
            assertThrows(VimException.class, () -> m.newSession(0, 16, 16));
        }
    }

    @Test
    void nanInputsPropagateWithoutCrashing() {
        try (VimModel m = VimModel.random(SMALL, 5, SCALAR); VimSession s = m.newSession()) {
            float[] x = image(1, 16, 16, 1);
            x[0] = Float.NaN;
            float[] out = s.logits(x, 1, 16, 16);
            assertTrue(Float.isNaN(out[0]));
        }
    }

    @Test
    void useAfterCloseThrows() {
        VimModel m = VimModel.random(SMALL, 5, SCALAR);
        VimSession s = m.newSession();
        VimSession s2 = m.newSession();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.logits(image(1, 16, 16, 1), 1, 16, 16));
        m.close();
        assertThrows(IllegalStateException.class, () -> s2.logits(image(1, 16, 16, 1), 1, 16, 16));
        assertThrows(IllegalStateException.class, m::newSession);
        s.close(); // idempotent
        m.close();
    }

    /** Blocks a run at its first stage until released, so tests can act while an inference is in flight. */
    static final class Gate implements StageObserver {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void observe(Stage stage, int layer, MemorySegment data, int rows, int cols) {
            if (stage == Stage.EMBED) {
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Test
    void secondThreadOnABusySessionIsRefused() throws Exception {
        try (VimModel m = VimModel.random(SMALL, 5, SCALAR); VimSession s = m.newSession()) {
            Gate gate = new Gate();
            float[] out = new float[10];
            Thread a = Thread.ofPlatform().name("first-user").start(() -> s.runObserved(OutputKind.LOGITS,
                    MemorySegment.ofArray(image(1, 16, 16, 1)), 1, 16, 16, MemorySegment.ofArray(out), gate));
            assertTrue(gate.entered.await(10, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.logits(image(1, 16, 16, 1), 1, 16, 16));
            assertTrue(e.getMessage().contains("in use by thread 'first-user'"), e.getMessage());
            gate.release.countDown();
            a.join();
            float[] again = s.logits(image(1, 16, 16, 1), 1, 16, 16);
            assertArrayEquals(again, out, 0f); // the first run finished correctly
        }
    }

    @Test
    void closingTheModelWaitsForRunningInferencesThenRefusesNewOnes() throws Exception {
        VimModel m = VimModel.random(SMALL, 5, SCALAR);
        VimSession s = m.newSession();
        Gate gate = new Gate();
        AtomicReference<Throwable> runFailure = new AtomicReference<>();
        float[] out = new float[10];
        Thread a = Thread.ofPlatform().start(() -> {
            try {
                s.runObserved(OutputKind.LOGITS, MemorySegment.ofArray(image(1, 16, 16, 1)), 1, 16, 16,
                        MemorySegment.ofArray(out), gate);
            } catch (Throwable t) {
                runFailure.set(t);
            }
        });
        assertTrue(gate.entered.await(10, TimeUnit.SECONDS));
        Thread closer = Thread.ofPlatform().start(m::close);
        closer.join(300);
        assertTrue(closer.isAlive(), "close() must wait for the running inference");
        assertTrue(m.isClosed());
        gate.release.countDown();
        a.join();
        closer.join();
        assertEquals(null, runFailure.get());
        assertTrue(Float.isFinite(out[0]) && out[0] != 0f, "the in-flight inference completed");
        assertThrows(IllegalStateException.class, () -> s.logits(image(1, 16, 16, 1), 1, 16, 16));
    }
}
