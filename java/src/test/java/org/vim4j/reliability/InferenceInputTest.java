package org.vim4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.BackendKind;
import org.vim4j.OutputKind;

/**
 * Bad arguments at inference, on the embedded model (1 channel, 28x28, patch 4, stride 4): each is a
 * {@link VimException} that says what is wrong, thrown before any memory is touched, on every CPU backend;
 * and the session still works afterwards (a refused call leaves nothing half-done).
 */
class InferenceInputTest {
    static List<BackendKind> backends() {
        return CpuBackends.available();
    }

    static float[] image(int floats, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[floats];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static String refused(Executable call, String... parts) {
        String msg = assertThrows(VimException.class, call).getMessage();
        for (String p : parts) {
            assertTrue(msg.contains(p), "message should contain '" + p + "': " + msg);
        }
        return msg;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void badArgumentsAreClearErrorsAndTheSessionStillWorks(BackendKind kind) {
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind).withThreads(2));
                VimSession s = m.newSession(2, 28, 28)) {
            float[] one = image(784, 1);
            float[] want = s.logits(one, 1, 28, 28);

            // Wrong channel count: an RGB image for a grayscale model, and the reverse direction's shortfall.
            refused(() -> s.logits(image(3 * 784, 2), 1, 28, 28), "2352 floats", "1x28x28", "784", "channel");
            refused(() -> s.logits(image(392, 2), 1, 28, 28), "392 floats", "784");
            // Zero and negative sizes: refused before an output array is allocated.
            refused(() -> s.logits(one, 0, 28, 28), "batch 0");
            refused(() -> s.logits(one, -1, 28, 28), "batch -1");
            refused(() -> s.classFeatures(one, -5, 28, 28), "batch -5");
            refused(() -> s.tokenFeatures(one, 1, 0, 28), "0x28");
            refused(() -> s.tokenFeatures(one, 1, 28, -28), "28x-28");
            refused(() -> s.logits(one, 1, Integer.MIN_VALUE, 28), String.valueOf(Integer.MIN_VALUE));
            // Batch over the workspace, and a size over it.
            refused(() -> s.logits(image(3 * 784, 3), 3, 28, 28), "batch 3", "1..2");
            refused(() -> s.logits(image(32 * 32, 3), 1, 32, 32), "needs 65 tokens", "at most 50");
            // Sizes the patch grid does not tile (PyTorch's conv would silently drop the remainder).
            refused(() -> s.logits(image(27 * 28, 4), 1, 27, 28), "27x28", "4-pixel patches at stride 4");
            refused(() -> s.logits(image(26 * 26, 4), 1, 26, 26), "26x26");
            // Output buffers: too small, read-only.
            refused(() -> s.run(OutputKind.LOGITS, MemorySegment.ofArray(one), 1, 28, 28, MemorySegment.ofArray(new float[9])),
                    "output holds 9 floats", "needs 10");
            refused(() -> s.run(OutputKind.LOGITS, MemorySegment.ofArray(one), 1, 28, 28,
                    MemorySegment.ofArray(new float[10]).asReadOnly()), "read-only");
            refused(() -> s.run(OutputKind.LOGITS, MemorySegment.ofArray(new float[783]), 1, 28, 28,
                    MemorySegment.ofArray(new float[10])), "input holds 783 floats");

            assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(s.logits(one, 1, 28, 28)),
                    "the session computes the same answer after refused calls");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void misalignedInputIsRefusedAndMisalignedOutputWorks(BackendKind kind) {
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind).withThreads(2));
                VimSession s = m.newSession(); Arena arena = Arena.ofConfined()) {
            float[] x = image(784, 5);
            float[] want = s.logits(x, 1, 28, 28);
            // A float buffer that starts 1 byte into its allocation (e.g. a slice of a file mapping), and a byte[].
            MemorySegment odd = arena.allocate(784 * 4 + 1).asSlice(1);
            MemorySegment.copy(x, 0, odd, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 784);
            MemorySegment out = arena.allocate(10 * 4 + 1).asSlice(1);
            refused(() -> s.run(OutputKind.LOGITS, odd, 1, 28, 28, MemorySegment.ofArray(new float[10])), "not 4-byte aligned");
            refused(() -> s.run(OutputKind.LOGITS, MemorySegment.ofArray(new byte[784 * 4]), 1, 28, 28,
                    MemorySegment.ofArray(new float[10])), "not 4-byte aligned");
            // Results are copied out byte-wise: any output alignment is fine.
            s.run(OutputKind.LOGITS, MemorySegment.ofArray(x), 1, 28, 28, out);
            float[] got = new float[10];
            MemorySegment.copy(out, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, got, 0, 10);
            assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(got));
        }
    }

    @Test
    void badSessionShapesAreClearErrors() {
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withThreads(1))) {
            refused(() -> m.newSession(0, 28, 28), "maxBatch must be >= 1, got 0");
            refused(() -> m.newSession(-3, 28, 28), "got -3");
            refused(() -> m.newSession(1, 0, 28), "0x28", "4-pixel patch");
            refused(() -> m.newSession(1, 28, -1), "28x-1");
            // Sizes whose workspace cannot exist: refused with the size, not an OutOfMemoryError or an overflow.
            refused(() -> m.newSession(Integer.MAX_VALUE, 28, 28), "workspace");
            refused(() -> m.newSession(1, Integer.MAX_VALUE, Integer.MAX_VALUE), "workspace");
            refused(() -> m.newSession(1 << 20, 1 << 12, 1 << 12), "workspace");
            try (VimSession ok = m.newSession(1, 30, 30)) { // a maximum need not be tiled exactly: it is a bound
                assertEquals(50, ok.maxTokens());
            }
        }
    }

    /**
     * NaN and infinite inputs are not rejected (checking every float would cost a pass over the input): they
     * propagate, so the answer is visibly non-finite, never a silently finite wrong answer, and nothing crashes.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void nanAndInfinityPropagateToTheOutput(BackendKind kind) {
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind).withThreads(2));
                VimSession s = m.newSession()) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE}) {
                float[] x = image(784, 6);
                x[397] = bad;
                for (OutputKind k : OutputKind.values()) {
                    float[] out = switch (k) {
                        case LOGITS -> s.logits(x, 1, 28, 28);
                        case CLS -> s.classFeatures(x, 1, 28, 28);
                        case TOKENS -> s.tokenFeatures(x, 1, 28, 28);
                    };
                    boolean nonFinite = false;
                    for (float v : out) {
                        nonFinite |= !Float.isFinite(v);
                    }
                    if (Float.isFinite(bad)) {
                        continue; // a huge but finite pixel may legitimately give finite outputs
                    }
                    assertTrue(nonFinite, kind + " " + k + " with input " + bad + " must not look like a valid answer");
                }
            }
            float[] clean = s.logits(image(784, 7), 1, 28, 28);
            for (float v : clean) {
                assertFalse(Float.isNaN(v), "a NaN input leaves no state behind");
            }
        }
    }
}
