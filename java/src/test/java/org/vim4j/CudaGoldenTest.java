package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.vim4j.io.npy.Npy;
import org.vim4j.backend.cuda.CudaKernels;
import org.vim4j.backend.cuda.CudaLibrary;
import org.vim4j.tensor.Tensor;

/**
 * The CUDA backend through the one forward loop ({@code VimSession.run} without an observer: the forward captured
 * into a CUDA graph per shape and replayed, or run eagerly with graphs off) against the golden fixtures: FP32 with and
 * without graphs within {@link GoldenParityTest#LOGITS_TOL}; TF32 reported (its deviation printed) and held to a
 * looser bound. {@link GoldenParityTest} covers the observed runs (every stage, the composed mixer). Needs a GPU or
 * the CPU emulation of the CUDA library (the java module's cuda-emulated execution); skipped with the reason
 * otherwise.
 */
class CudaGoldenTest {
    /**
     * A sanity bound for TF32 (10 mantissa bits per GEMM input), whose deviation is reported, not pinned: on the CPU
     * emulation of the CUDA library (inputs rounded to TF32 like cvt.rna) the worst golden case moved its logits by
     * 2.9e-3; truncating instead gave 1.8e-2.
     */
    static final float TF32_TOL = 2e-2f;

    private static void gpu() {
        assumeTrue(CudaLibrary.status().available(), () -> "no GPU: " + CudaLibrary.status().reason());
    }

    @TestFactory
    Stream<DynamicTest> devicePathMatchesTheReference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String precision : new String[] {"fp32", "tf32"}) {
            for (String graph : new String[] {"true", "false"}) {
                for (String c : GoldenParityTest.CASES) {
                    tests.add(DynamicTest.dynamicTest("cuda " + precision + " graph=" + graph + " / " + c, () -> {
                        gpu();
                        check(c, precision, graph);
                    }));
                }
            }
        }
        return tests.stream();
    }

    static float[] logits(String name, String precision, String graph, int runs) throws IOException {
        Path dir = GoldenParityTest.golden(name);
        Map<String, Integer> cfg = GoldenParityTest.config(dir);
        String oldP = System.getProperty(CudaKernels.PRECISION_PROPERTY), oldG = System.getProperty(CudaKernels.GRAPH_PROPERTY);
        System.setProperty(CudaKernels.PRECISION_PROPERTY, precision);
        System.setProperty(CudaKernels.GRAPH_PROPERTY, graph);
        try (Arena arena = Arena.ofConfined();
                VimModel model = VimModel.load(dir.resolve("model.safetensors"), VimOptions.defaults().withBackend(BackendKind.CUDA)
                        .withThreads(1).withImageSize(cfg.get("img_size")).withStride(cfg.get("stride")))) {
            Tensor x = Npy.read(dir.resolve("input.npy"), arena);
            int b = (int) x.dim(0), h = (int) x.dim(2), w = (int) x.dim(3);
            float[] in = x.toFloatArray();
            try (VimSession s = model.newSession(b, h, w)) {
                float[] first = s.logits(in, b, h, w);
                for (int i = 1; i < runs; i++) { // graph replays must give the identical result
                    assertArrayEquals(first, s.logits(in, b, h, w), name + ": run " + i + " differs from the first");
                }
                // smaller batches through the same session (another graph), the first image's logits unchanged
                if (b > 1) {
                    float[] one = s.logits(java.util.Arrays.copyOf(in, in.length / b), 1, h, w);
                    float[] want = java.util.Arrays.copyOf(first, one.length);
                    GoldenParityTest.compare(name + " batch 1 vs batch " + b, want, one, 0f, 1e-5f);
                }
                return first;
            }
        } finally {
            restore(CudaKernels.PRECISION_PROPERTY, oldP);
            restore(CudaKernels.GRAPH_PROPERTY, oldG);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    static void check(String name, String precision, String graph) throws IOException {
        Path dir = GoldenParityTest.golden(name);
        float[] want = GoldenParityTest.read(dir, "logits.npy", Arena.ofAuto());
        float[] got = logits(name, precision, graph, 3);
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        System.out.printf("CUDA golden %s %s graph=%s: max |logit - reference| = %.3g%n", name, precision, graph, worst);
        GoldenParityTest.compare("cuda " + precision + " " + name + " logits", want, got, 0f,
                precision.equals("fp32") ? GoldenParityTest.LOGITS_TOL : TF32_TOL);
    }

    /** Tokens and class features through the device path (other output copies than the logits). */
    @Test
    void tokenAndClassFeaturesMatchTheReference() throws IOException {
        gpu();
        for (String name : GoldenParityTest.CASES) {
            Path dir = GoldenParityTest.golden(name);
            Map<String, Integer> cfg = GoldenParityTest.config(dir);
            try (Arena arena = Arena.ofConfined();
                    VimModel model = VimModel.load(dir.resolve("model.safetensors"), VimOptions.defaults()
                            .withBackend(BackendKind.CUDA).withImageSize(cfg.get("img_size")).withStride(cfg.get("stride")))) {
                Tensor x = Npy.read(dir.resolve("input.npy"), arena);
                int b = (int) x.dim(0), h = (int) x.dim(2), w = (int) x.dim(3);
                try (VimSession s = model.newSession(b, h, w)) {
                    float[] in = x.toFloatArray();
                    GoldenParityTest.compare("cuda tokens " + name, GoldenParityTest.read(dir, "tokens.npy", arena),
                            s.tokenFeatures(in, b, h, w), 1f, GoldenParityTest.STAGE_TOL);
                    GoldenParityTest.compare("cuda cls " + name, GoldenParityTest.read(dir, "cls.npy", arena),
                            s.classFeatures(in, b, h, w), 1f, GoldenParityTest.STAGE_TOL);
                }
            }
        }
    }

    /** Sessions of one model on several threads at once: each its own stream, workspace and graphs. */
    @Test
    void concurrentSessionsGiveTheSameLogits() throws Exception {
        gpu();
        Path dir = GoldenParityTest.golden("overlap");
        Map<String, Integer> cfg = GoldenParityTest.config(dir);
        float[] want = GoldenParityTest.read(dir, "logits.npy", Arena.ofAuto());
        try (Arena arena = Arena.ofConfined();
                VimModel model = VimModel.load(dir.resolve("model.safetensors"), VimOptions.defaults()
                        .withBackend(BackendKind.CUDA).withImageSize(cfg.get("img_size")).withStride(cfg.get("stride")))) {
            Tensor x = Npy.read(dir.resolve("input.npy"), arena);
            int b = (int) x.dim(0), h = (int) x.dim(2), w = (int) x.dim(3);
            float[] in = x.toFloatArray();
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try (VimSession s = model.newSession(b, h, w)) {
                        for (int i = 0; i < 5; i++) {
                            GoldenParityTest.compare("concurrent logits", want, s.logits(in, b, h, w), 0f,
                                    GoldenParityTest.LOGITS_TOL);
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            if (!errors.isEmpty()) {
                throw new AssertionError(errors.size() + " thread(s) failed", errors.get(0));
            }
        }
    }

    /**
     * Steady state with graphs: after warm-up, a run is the input copy, one graph launch and the output copy on
     * structs and buffers made once, so the calling thread allocates nothing on the heap.
     */
    @Test
    void steadyStateRunsAllocateNothingOnTheHeap() throws IOException {
        gpu();
        Path dir = GoldenParityTest.golden("tiny");
        Map<String, Integer> cfg = GoldenParityTest.config(dir);
        String oldG = System.getProperty(CudaKernels.GRAPH_PROPERTY);
        System.setProperty(CudaKernels.GRAPH_PROPERTY, "true");
        try (Arena arena = Arena.ofConfined();
                VimModel model = VimModel.load(dir.resolve("model.safetensors"), VimOptions.defaults()
                        .withBackend(BackendKind.CUDA).withImageSize(cfg.get("img_size")).withStride(cfg.get("stride")))) {
            Tensor x = Npy.read(dir.resolve("input.npy"), arena);
            int b = (int) x.dim(0), h = (int) x.dim(2), w = (int) x.dim(3);
            try (VimSession s = model.newSession(b, h, w)) {
                java.lang.foreign.MemorySegment in = arena.allocate(x.data().byteSize(), 64).copyFrom(x.data());
                java.lang.foreign.MemorySegment out = arena.allocate(s.outputFloats(OutputKind.LOGITS, b, h, w) * 4, 64);
                com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                        .getThreadMXBean();
                long tid = Thread.currentThread().threadId();
                long least = Long.MAX_VALUE;
                for (int round = 0; round < 20 && least > 0; round++) { // until the JIT has compiled the path
                    long before = mx.getThreadAllocatedBytes(tid);
                    for (int i = 0; i < 50; i++) {
                        s.run(OutputKind.LOGITS, in, b, h, w, out);
                    }
                    least = Math.min(least, mx.getThreadAllocatedBytes(tid) - before);
                }
                System.out.println("CUDA steady state: " + least + " bytes allocated per 50 runs");
                org.junit.jupiter.api.Assertions.assertEquals(0, least, "bytes allocated by 50 steady-state runs");
            }
        } finally {
            restore(CudaKernels.GRAPH_PROPERTY, oldG);
        }
    }

    @Test
    void aClosedSessionOrModelRefusesToRun() throws IOException {
        gpu();
        Path dir = GoldenParityTest.golden("tiny");
        Map<String, Integer> cfg = GoldenParityTest.config(dir);
        VimModel model = VimModel.load(dir.resolve("model.safetensors"), VimOptions.defaults().withBackend(BackendKind.CUDA)
                .withImageSize(cfg.get("img_size")).withStride(cfg.get("stride")));
        int size = cfg.get("img_size");
        VimSession s = model.newSession(1, size, size);
        float[] in = new float[3 * size * size];
        s.logits(in, 1, size, size);
        s.close();
        assertThrows(IllegalStateException.class, () -> s.logits(in, 1, size, size));
        VimSession s2 = model.newSession(1, size, size);
        model.close();
        assertThrows(IllegalStateException.class, () -> s2.logits(in, 1, size, size));
    }
}
