package org.vim4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vim4j.kernel.Stage;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.Sessions;
import org.vim4j.io.checkpoint.CheckpointReader;
import org.vim4j.io.StateDict;
import org.vim4j.io.npy.Npy;
import org.vim4j.BackendKind;
import org.vim4j.OutputKind;
import org.vim4j.model.StageObserver;
import org.vim4j.tensor.Tensor;

/**
 * Closing things while they are in use, and using them after: defined outcomes only. A call either completes
 * with the right answer or throws {@link IllegalStateException}; memory that was freed is never read (the FFM
 * runtime's scope checks refuse the access), so nothing crashes, on every CPU backend.
 */
class LifecycleTest {
    static List<BackendKind> backends() {
        return CpuBackends.available();
    }

    /**
     * 16 threads run inferences on their own sessions while the model is closed under them. Calls that were running
     * finish correctly (close waits for them); later ones throw IllegalStateException; every session is closed
     * by the model; new sessions are refused.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void closingTheModelUnderSixteenBusyThreads(BackendKind kind) throws Exception {
        VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind).withThreads(2));
        float[][] x = ConcurrencyTest.inputs(4, 1, 784, 21);
        float[][] want = new float[4][];
        try (VimSession s = m.newSession()) {
            for (int i = 0; i < 4; i++) {
                want[i] = s.logits(x[i], 1, 28, 28);
            }
        }
        AtomicInteger done = new AtomicInteger(), refused = new AtomicInteger();
        CountDownLatch warm = new CountDownLatch(ConcurrencyTest.THREADS);
        List<VimSession> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread closer = Thread.ofPlatform().start(() -> {
            try {
                warm.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            m.close();
        });
        List<Throwable> failures = ConcurrencyTest.hammer(1, (t, n) -> {
            VimSession s = m.newSession();
            sessions.add(s);
            for (int r = 0; ; r++) {
                int i = (t + r) % 4;
                float[] got;
                try {
                    got = s.logits(x[i], 1, 28, 28);
                } catch (IllegalStateException e) {
                    assertTrue(e.getMessage().equals("VimModel is closed") || e.getMessage().equals("VimSession is closed"),
                            e.getMessage());
                    refused.incrementAndGet();
                    break;
                } finally {
                    if (r == 2) {
                        warm.countDown();
                    }
                }
                ConcurrencyTest.check(kind + " thread " + t + " call " + r, want[i], got);
                done.incrementAndGet();
            }
        });
        closer.join();
        ConcurrencyTest.assertNoFailures(failures);
        assertTrue(m.isClosed());
        assertEquals(ConcurrencyTest.THREADS, refused.get(), "every thread ends on a refusal");
        assertTrue(done.get() >= 3 * ConcurrencyTest.THREADS, "each thread completed its warm-up calls: " + done.get());
        for (VimSession s : sessions) {
            assertThrows(IllegalStateException.class, () -> s.logits(x[0], 1, 28, 28));
        }
        assertThrows(IllegalStateException.class, m::newSession);
        System.out.printf("lifecycle: %s, model closed under %d threads: %d calls completed correctly, %d refused%n",
                kind.id(), ConcurrencyTest.THREADS, done.get(), refused.get());
    }

    /** A session closed by another thread mid-run: the run finishes correctly first, then the session refuses calls. */
    @ParameterizedTest
    @MethodSource("backends")
    void closingASessionFromAnotherThreadWaitsForItsRun(BackendKind kind) throws Exception {
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind).withThreads(2))) {
            float[] x = ConcurrencyTest.inputs(1, 1, 784, 22)[0];
            float[] want;
            try (VimSession s = m.newSession()) {
                want = s.logits(x, 1, 28, 28);
            }
            VimSession s = m.newSession();
            CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
            StageObserver gate = (stage, layer, data, rows, cols) -> {
                if (stage == Stage.EMBED) {
                    entered.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            float[] out = new float[10];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    Sessions.runObserved(s, OutputKind.LOGITS, MemorySegment.ofArray(x), 1, 28, 28, MemorySegment.ofArray(out), gate);
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            Thread closer = Thread.ofPlatform().start(s::close);
            closer.join(200);
            assertTrue(closer.isAlive(), "close() waits for the running call");
            release.countDown();
            runner.join();
            closer.join();
            assertEquals(null, failure.get());
            assertTrue(Arrays.equals(want, out), "the in-flight run completed with the right answer");
            assertEquals("VimSession is closed", assertThrows(IllegalStateException.class, () -> s.logits(x, 1, 28, 28)).getMessage());
        }
    }

    /** Tensors outlive nothing: after their owner closes, every access path throws IllegalStateException. */
    @Test
    void tensorsThrowAfterTheirOwnerCloses() throws Exception {
        Path st = Path.of(LifecycleTest.class.getResource("/io/safetensors/handmade.safetensors").toURI());
        Path pth = Path.of(LifecycleTest.class.getResource("/io/pth/views.pth").toURI());
        Path npy = Path.of(LifecycleTest.class.getResource("/io/npy/f32_2x3x4.npy").toURI());
        for (Path p : new Path[] {st, pth}) {
            StateDict sd = CheckpointReader.read(p);
            List<Tensor> tensors = List.copyOf(sd.tensors().values());
            tensors.getFirst().getFloat(0);
            sd.close();
            for (Tensor t : tensors) {
                if (t.numel() == 0) {
                    continue;
                }
                assertThrows(IllegalStateException.class, () -> t.getFloat(0), p + " " + t);
                assertThrows(IllegalStateException.class, t::toFloatArray, p + " " + t);
                assertThrows(IllegalStateException.class, () -> t.data().get(ValueLayout.JAVA_BYTE, 0), p + " " + t);
                try (Arena a = Arena.ofConfined()) {
                    assertThrows(IllegalStateException.class, () -> t.toF32(a).getFloat(0), p + " " + t);
                }
            }
            sd.close(); // idempotent: a second close is a no-op
        }
        Arena arena = Arena.ofShared();
        Tensor t = Npy.read(npy, arena);
        assertEquals(-1f, t.getFloat(0));
        arena.close();
        assertThrows(IllegalStateException.class, () -> t.getFloat(0));
        assertThrows(IllegalStateException.class, () -> Npy.write(npy.resolveSibling("never.npy"), t));
    }

    /** After close, the native backend is never called with freed weights or workspaces: the API refuses first. */
    @ParameterizedTest
    @MethodSource("backends")
    void everyEntryPointRefusesAfterClose(BackendKind kind) {
        VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind).withThreads(2));
        VimSession s = m.newSession(2, 28, 28);
        VimSession t = m.newSession(2, 28, 28);
        float[] x = new float[784];
        s.logits(x, 1, 28, 28);
        s.close();
        MemorySegment in = MemorySegment.ofArray(x), out = MemorySegment.ofArray(new float[64 * 50]);
        for (VimSession closed : new VimSession[] {s}) {
            assertThrows(IllegalStateException.class, () -> closed.logits(x, 1, 28, 28));
            assertThrows(IllegalStateException.class, () -> closed.classFeatures(x, 1, 28, 28));
            assertThrows(IllegalStateException.class, () -> closed.tokenFeatures(x, 1, 28, 28));
            assertThrows(IllegalStateException.class, () -> closed.run(OutputKind.LOGITS, in, 1, 28, 28, out));
        }
        m.close();
        assertThrows(IllegalStateException.class, () -> t.logits(x, 1, 28, 28));
        assertThrows(IllegalStateException.class, () -> t.run(OutputKind.TOKENS, in, 1, 28, 28, out));
        assertThrows(IllegalStateException.class, m::newSession);
        assertThrows(IllegalStateException.class, () -> m.newSession(1, 28, 28));
        m.close();
        t.close();
        s.close();
    }
}
