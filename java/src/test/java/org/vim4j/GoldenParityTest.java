package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.vim4j.kernel.Stage;
import org.vim4j.io.npy.Npy;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.OutputKind;
import org.vim4j.model.StageObserver;
import org.vim4j.tensor.Tensor;

/**
 * Every backend against goldens from our independent PyTorch reference (tools/vim_reference.py,
 * fixtures made by tools/make_golden.py): logits within 1e-4 absolute, and every per-stage
 * intermediate, so a failure names its stage and layer.
 */
public class GoldenParityTest {
    static final float LOGITS_TOL = 1e-4f;
    static final float STAGE_TOL = 2e-4f; // absolute, on O(1) activations; scaled by max(1, |ref|)
    static final String[] CASES = {"tiny", "overlap", "wide", "interp"};

    public static Path golden(String name) {
        try {
            var url = GoldenParityTest.class.getResource("/golden/" + name);
            assumeTrue(url != null, "golden fixture " + name + " missing (run tools/make_golden.py)");
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Integer> config(Path dir) throws IOException {
        Map<String, Integer> m = new HashMap<>();
        Matcher mt = Pattern.compile("\"(\\w+)\"\\s*:\\s*(-?\\d+)").matcher(Files.readString(dir.resolve("config.json")));
        while (mt.find()) {
            m.put(mt.group(1), Integer.parseInt(mt.group(2)));
        }
        return m;
    }

    @TestFactory
    Stream<DynamicTest> everyBackendMatchesTheReference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (BackendKind kind : BackendKind.values()) {
            for (String c : CASES) {
                tests.add(DynamicTest.dynamicTest(kind.id() + " / " + c, () -> {
                    assumeTrue(Backends.isAvailable(kind), () -> kind.id() + " unavailable: " + Backends.unavailable().get(kind));
                    checkCase(kind, c);
                }));
            }
        }
        return tests.stream();
    }

    static void checkCase(BackendKind kind, String name) throws IOException {
        Path dir = golden(name);
        Map<String, Integer> cfg = config(dir);
        VimOptions opts = VimOptions.defaults().withBackend(kind).withThreads(2).withImageSize(cfg.get("img_size"))
                .withStride(cfg.get("stride"));
        try (Arena arena = Arena.ofConfined(); VimModel model = VimModel.load(dir.resolve("model.safetensors"), opts)) {
            Tensor x = Npy.read(dir.resolve("input.npy"), arena);
            int b = (int) x.dim(0), h = (int) x.dim(2), w = (int) x.dim(3);
            try (VimSession s = model.newSession(b, h, w)) {
                Recorder rec = new Recorder();
                MemorySegment logits = arena.allocate(s.outputFloats(OutputKind.LOGITS, b, h, w) * 4);
                s.runObserved(OutputKind.LOGITS, x.data(), b, h, w, logits, rec);
                String where = kind.id() + "/" + name;

                compare(where + " embed", read(dir, "embed.npy", arena), rec.get(Stage.EMBED, -1), 1f, STAGE_TOL);
                for (int l = 0; l < model.config().depth(); l++) {
                    float[] convF = rec.get(Stage.CONV_FORWARD, l);
                    float[] yF = rec.get(Stage.Y_AFTER_FORWARD, l);
                    float[] yAll = rec.get(Stage.Y_AFTER_BACKWARD, l);
                    float[] scanF = new float[yF.length], scanB = new float[yF.length];
                    for (int i = 0; i < yF.length; i++) { // y = y_f/2 after the forward scan, (y_f+y_b)/2 after both
                        scanF[i] = 2 * yF[i];
                        scanB[i] = 2 * yAll[i] - scanF[i];
                    }
                    String lw = where + " layer " + l;
                    compare(lw + " conv_f", read(dir, "l" + l + "_conv_f.npy", arena), convF, 1f, STAGE_TOL);
                    compare(lw + " conv_b", read(dir, "l" + l + "_conv_b.npy", arena),
                            rec.get(Stage.CONV_BACKWARD, l), 1f, STAGE_TOL);
                    compare(lw + " scan_f", read(dir, "l" + l + "_scan_f.npy", arena), scanF, 1f, STAGE_TOL);
                    compare(lw + " scan_b", read(dir, "l" + l + "_scan_b.npy", arena), scanB, 1f, STAGE_TOL);
                    compare(lw + " mixer", read(dir, "l" + l + "_mixer.npy", arena), rec.get(Stage.MIXER, l),
                            1f, STAGE_TOL);
                    compare(lw + " block output", read(dir, "l" + l + "_residual.npy", arena),
                            rec.get(Stage.BLOCK_OUTPUT, l), 1f, STAGE_TOL);
                }
                compare(where + " tokens", read(dir, "tokens.npy", arena), rec.get(Stage.FINAL, -1), 1f, STAGE_TOL);
                compare(where + " logits", read(dir, "logits.npy", arena), toArray(logits), 0f, LOGITS_TOL);
                compare(where + " cls", read(dir, "cls.npy", arena), s.classFeatures(x.toFloatArray(), b, h, w), 1f, STAGE_TOL);
            }
        }
    }

    static float[] read(Path dir, String file, Arena arena) throws IOException {
        return Npy.read(dir.resolve(file), arena).toFloatArray();
    }

    static float[] toArray(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** |got - want| <= tol * (1 + relScale * |want|) elementwise; reports the worst element. */
    public static void compare(String what, float[] want, float[] got, float relScale, float tol) {
        assertEquals(want.length, got.length, what + ": element count");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]) / (1 + relScale * Math.abs(want[i]));
            if (!(err <= worst)) {
                worst = err;
                at = i;
            }
        }
        if (!(worst <= tol)) {
            throw new AssertionError(what + ": worst error " + worst + " at " + at + " (want " + want[at] + ", got " + got[at]
                    + ") exceeds " + tol);
        }
    }

    /** Copies every observed stage (the buffers are reused, so copies are needed). */
    static final class Recorder implements StageObserver {
        final Map<String, float[]> seen = new HashMap<>();

        @Override
        public void observe(Stage stage, int layer, MemorySegment data, int rows, int cols) {
            seen.put(stage + "/" + layer, data.asSlice(0, (long) rows * cols * 4).toArray(ValueLayout.JAVA_FLOAT));
        }

        float[] get(Stage stage, int layer) {
            float[] v = seen.get(stage + "/" + layer);
            if (v == null) {
                throw new AssertionError("stage " + stage + " layer " + layer + " was not observed");
            }
            return v;
        }
    }
}
