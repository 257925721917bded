package org.vim4j.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The device execution of a session: graphs recorded once per shape and replayed (the forward's Java code then does not
 * run at all), eager runs without a shape or with graphs off, the bound on recorded graphs, transfers inside a
 * captured forward (the capture is abandoned and the forward runs eagerly), chunked transfers of heap memory through
 * the pinned staging buffer, and the current stream seen by the kernels. Needs a GPU or the CPU emulation of the CUDA
 * library; skipped with the reason otherwise.
 */
class CudaExecutionTest {
    private static final float[] ONES = filled(1000, 1f), TWOS = filled(1000, 2f);

    @BeforeEach
    void device() {
        assumeTrue(CudaLibrary.status().available(), () -> "no CUDA device: " + CudaLibrary.status().reason());
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static float[] get(CudaExecution exec, MemorySegment dev, int n) {
        float[] out = new float[n];
        exec.download(dev, 0, MemorySegment.ofArray(out), 0, n);
        return out;
    }

    /** A forward of one kernel, dst += src, that counts how often its Java code runs. */
    private static final class AddForward implements Runnable {
        final CudaKernels k;
        final MemorySegment dst, src;
        int javaRuns;

        AddForward(CudaKernels k, MemorySegment dst, MemorySegment src) {
            this.k = k;
            this.dst = dst;
            this.src = src;
        }

        @Override
        public void run() {
            javaRuns++;
            k.add(dst, 0, src, 0, 1000);
        }
    }

    @Test
    void aShapeIsRecordedOnceAndReplayed() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        try (Arena arena = Arena.ofConfined()) {
            CudaExecution exec = (CudaExecution) k.newExecution(arena, 16);
            MemorySegment dst = k.allocate(arena, 1000), src = k.allocate(arena, 1000);
            exec.upload(MemorySegment.ofArray(ONES), 0, dst, 0, 1000);
            exec.upload(MemorySegment.ofArray(TWOS), 0, src, 0, 1000);
            AddForward f = new AddForward(k, dst, src);
            for (int i = 0; i < 3; i++) {
                exec.run("shape A", f);
            }
            assertEquals(1, f.javaRuns, "the recorded graph replays without running the forward's Java code");
            assertEquals(1, exec.recordedGraphs());
            assertArrayEquals(filled(1000, 7f), get(exec, dst, 1000), "1 + 3 x 2: the graph did the work each time");
            exec.run(null, f); // no shape: eager, never recorded
            assertEquals(2, f.javaRuns);
            assertEquals(1, exec.recordedGraphs());
            assertArrayEquals(filled(1000, 9f), get(exec, dst, 1000));
        }
    }

    @Test
    void withGraphsOffEveryRunIsEager() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, false);
        try (Arena arena = Arena.ofConfined()) {
            CudaExecution exec = (CudaExecution) k.newExecution(arena, 16);
            MemorySegment dst = k.allocate(arena, 1000), src = k.allocate(arena, 1000);
            exec.upload(MemorySegment.ofArray(ONES), 0, dst, 0, 1000);
            exec.upload(MemorySegment.ofArray(TWOS), 0, src, 0, 1000);
            AddForward f = new AddForward(k, dst, src);
            for (int i = 0; i < 3; i++) {
                exec.run("shape A", f);
            }
            assertEquals(3, f.javaRuns);
            assertEquals(0, exec.recordedGraphs());
            assertArrayEquals(filled(1000, 7f), get(exec, dst, 1000));
        }
    }

    @Test
    void recordedGraphsAreBounded() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        try (Arena arena = Arena.ofConfined()) {
            CudaExecution exec = (CudaExecution) k.newExecution(arena, 16);
            MemorySegment dst = k.allocate(arena, 1000), src = k.allocate(arena, 1000);
            exec.upload(MemorySegment.ofArray(new float[1000]), 0, dst, 0, 1000);
            exec.upload(MemorySegment.ofArray(ONES), 0, src, 0, 1000);
            AddForward f = new AddForward(k, dst, src);
            for (int shape = 0; shape < CudaExecution.MAX_GRAPHS + 4; shape++) {
                exec.run(shape, f);
                exec.run(shape, f);
            }
            assertEquals(CudaExecution.MAX_GRAPHS, exec.recordedGraphs());
            assertEquals(CudaExecution.MAX_GRAPHS + 2 * 4, f.javaRuns, "shapes beyond the bound run eagerly, every time");
            assertArrayEquals(filled(1000, 2f * (CudaExecution.MAX_GRAPHS + 4)), get(exec, dst, 1000));
        }
    }

    @Test
    void aTransferInsideTheForwardAbandonsTheCaptureAndRunsEagerly() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        try (Arena arena = Arena.ofConfined()) {
            CudaExecution exec = (CudaExecution) k.newExecution(arena, 16);
            MemorySegment dst = k.allocate(arena, 1000), src = k.allocate(arena, 1000);
            exec.upload(MemorySegment.ofArray(ONES), 0, dst, 0, 1000);
            exec.upload(MemorySegment.ofArray(TWOS), 0, src, 0, 1000);
            float[][] seen = new float[3][];
            int[] runs = {0};
            Runnable observed = () -> {
                k.add(dst, 0, src, 0, 1000);
                float[] now = get(exec, dst, 1000); // a download mid-forward, as an observed run does
                seen[runs[0]++] = now;
            };
            exec.run("observed", observed);
            exec.run("observed", observed);
            assertArrayEquals(filled(1000, 3f), seen[0], "the abandoned capture did no work; the eager run did it once");
            assertArrayEquals(filled(1000, 5f), seen[1]);
            assertEquals(2, runs[0]);
            assertEquals(1, exec.recordedGraphs(), "the shape is remembered as not recordable");
        }
    }

    @Test
    void kernelsSeeTheExecutionRunningOnTheirThread() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        try (Arena arena = Arena.ofConfined()) {
            CudaExecution exec = (CudaExecution) k.newExecution(arena, 16);
            assertNull(CudaExecution.current());
            CudaExecution[] inside = new CudaExecution[1];
            exec.run(null, () -> inside[0] = CudaExecution.current());
            assertSame(exec, inside[0]);
            assertNull(CudaExecution.current(), "restored after the run");
            assertThrows(IllegalStateException.class, () -> exec.run(null, () -> {
                throw new IllegalStateException("boom");
            }));
            assertNull(CudaExecution.current(), "restored after a failed run");
        }
    }

    @Test
    void transfersOfHeapMemoryLargerThanTheStagingBufferRoundTrip() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        int n = 700_001; // more than twice the 2^18-float staging buffer, and not a multiple of it
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = i * 0.25f - 7;
        }
        try (Arena arena = Arena.ofConfined()) {
            CudaExecution exec = (CudaExecution) k.newExecution(arena, 16);
            MemorySegment dev = k.allocate(arena, n + 10);
            exec.upload(MemorySegment.ofArray(data), 0, dev, 3, n);
            float[] back = new float[n + 2];
            exec.download(dev, 3, MemorySegment.ofArray(back), 2, n);
            assertArrayEquals(data, Arrays.copyOfRange(back, 2, n + 2));
            MemorySegment nativeBack = arena.allocate((long) n * 4);
            exec.download(dev, 3, nativeBack, 0, n);
            assertArrayEquals(data, nativeBack.toArray(JAVA_FLOAT));
            assertThrows(IndexOutOfBoundsException.class, () -> exec.download(dev, 11, nativeBack, 0, n));
            assertThrows(IndexOutOfBoundsException.class, () -> exec.upload(MemorySegment.ofArray(data), 0, dev, 11, n));
        }
    }

    @Test
    void theInputIsCopiedToTheDeviceWithinItsBound() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        try (Arena arena = Arena.ofConfined()) {
            CudaExecution exec = (CudaExecution) k.newExecution(arena, 1000);
            MemorySegment in = exec.input(MemorySegment.ofArray(TWOS), 1000);
            assertArrayEquals(TWOS, get(exec, in, 1000));
            assertSame(in, exec.input(MemorySegment.ofArray(ONES), 1000), "one device input buffer, reused");
            assertArrayEquals(ONES, get(exec, in, 1000));
            assertThrows(IllegalArgumentException.class, () -> exec.input(MemorySegment.ofArray(new float[1001]), 1001));
        }
    }

    @Test
    void deviceRangesAreBoundsCheckedBeforeAnyLaunch() {
        CudaKernels k = new CudaKernels(1, CudaKernels.GemmMode.FP32, true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = k.allocate(arena, 100), b = k.allocate(arena, 100);
            assertThrows(IndexOutOfBoundsException.class, () -> k.add(a, 50, b, 0, 51));
            assertThrows(IndexOutOfBoundsException.class, () -> k.copy(a, 0, b, -1, 10));
        }
    }
}
