package org.vim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vim4j.io.npy.Npy;

/**
 * Every command, walked with malformed arguments and files: missing, empty, truncated, of the wrong format,
 * directories, hostile pickles, and bad numbers for every numeric option. Each run must fail with exit status 2
 * and exactly one error line that names the problem, and nothing a Java internal would print: no exception or
 * error class names, no qualified Java names, no stack frames.
 */
class MalformedInputsTest {
    /**
     * What must never reach the user: exception and error class names, java.lang-style "Error:", qualified Java
     * class names (java.nio.file.Foo, org.vim4j.Bar; a property such as java.library.path is not one), stack frames.
     */
    static final Pattern INTERNALS = Pattern.compile(
            "Exception|[A-Za-z]Error\\b|\\bError:|\\b(?:java|javax|sun|jdk|org)\\.(?:[a-z_$][\\w$]*\\.)*[A-Z]|\\bat org\\.|\\bat java\\.|\\tat |\\.java:\\d+");

    static Path dir;
    static String oldBackend;

    static Path f(String name) {
        return dir.resolve(name);
    }

    @BeforeAll
    static void files() throws IOException {
        // Fixed backend: the automatic choice logs why it skipped a native library this build may lack.
        oldBackend = System.getProperty("vim4j.backend");
        System.setProperty("vim4j.backend", "vector");
        dir = Files.createTempDirectory("vim4j-malformed");
        Path png = TestFiles.example("7-sneaker.png", dir);
        TestFiles.golden("pth", dir, "checkpoint.pth");
        Path pth = f("pth/checkpoint.pth");
        byte[] pthBytes = Files.readAllBytes(pth), pngBytes = Files.readAllBytes(png);
        Files.write(f("empty.pth"), new byte[0]);
        Files.write(f("empty.png"), new byte[0]);
        Files.write(f("empty.npy"), new byte[0]);
        Files.write(f("truncated.pth"), Arrays.copyOf(pthBytes, pthBytes.length / 2));
        Files.write(f("truncated.png"), Arrays.copyOf(pngBytes, pngBytes.length / 2));
        Files.write(f("text.pth"), "not a checkpoint\n".getBytes());
        Files.write(f("text.png"), "not an image\n".getBytes());
        Files.write(f("text.npy"), "not an array\n".getBytes());
        Files.copy(png, f("image-as-weights.pth"));
        Files.copy(pth, f("weights-as-image.png"));
        Files.createDirectories(f("dir.pth"));
        Files.createDirectories(f("dir.png"));
        Npy.write(f("rank2.npy"), new float[6], 2, 3);
        Npy.write(f("nchw.npy"), new float[1 * 1 * 28 * 28], 1, 1, 28, 28);
        Files.write(f("truncated.npy"), Arrays.copyOf(Files.readAllBytes(f("nchw.npy")), 200));
        for (String h : new String[] {"set_copies", "deflated_bomb", "equal_tuple_keys", "colliding_tuple_keys", "build_copies"}) {
            TestFiles.resource("/io/hostile/" + h + ".pth", dir);
        }
        TestFiles.resource("/io/evil/os_system.pth", dir);
        Path folder = Files.createDirectories(f("folder/a"));
        Files.copy(png, folder.resolve("x.png"));
        Files.write(f("escape.txt"), "a 0\n../../etc 1\n".getBytes());
        Files.write(f("badindex.txt"), "a 99\n".getBytes());
        Files.write(f("badutf8.txt"), new byte[] {'a', ' ', (byte) 0xff, '\n'});
        Files.write(f("file-not-dir"), new byte[] {1});
        nanScaleInt8(f("nan-scale-int8.safetensors"));
    }

    /** The embedded model stored for int8 with one NaN scale: refused at load whatever the precision. */
    static void nanScaleInt8(Path out) throws IOException {
        Path src = f("fm.safetensors");
        try (var in = org.vim4j.VimModel.class.getResourceAsStream("/org/vim4j/models/fashion-mnist-vim.safetensors")) {
            Files.copy(in, src);
        }
        try (var sd = org.vim4j.io.checkpoint.CheckpointReader.read(src); var arena = java.lang.foreign.Arena.ofConfined()) {
            var c = org.vim4j.model.VimConfigInference.infer(sd, null, null);
            var t = org.vim4j.model.QuantizedCheckpoint.convert(sd, c, org.vim4j.Precision.INT8, arena);
            t.get("head.weight_scale").data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 3, Float.NaN);
            org.vim4j.io.safetensors.SafetensorsWriter.write(out, t, java.util.Map.of("vim4j.precision", "int8"));
        }
    }

    @AfterAll
    static void restore() throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        if (oldBackend == null) {
            System.clearProperty("vim4j.backend");
        } else {
            System.setProperty("vim4j.backend", oldBackend);
        }
    }

    static List<String> weightsFiles() {
        return List.of("missing.pth", "empty.pth", "truncated.pth", "text.pth", "image-as-weights.pth", "dir.pth",
                "set_copies.pth", "deflated_bomb.pth", "equal_tuple_keys.pth", "colliding_tuple_keys.pth", "build_copies.pth",
                "os_system.pth", "/dev/null");
    }

    static List<String> imageFiles() {
        return List.of("missing.png", "empty.png", "truncated.png", "text.png", "weights-as-image.png", "dir.png");
    }

    static String p(String name) {
        return name.startsWith("/") ? name : f(name).toString();
    }

    static Stream<List<String>> cases() {
        List<List<String>> c = new ArrayList<>();
        String png = p("7-sneaker.png");
        String npy = p("nchw.npy");
        // Weights files, through every command that loads a model.
        for (String w : weightsFiles()) {
            c.add(List.of("info", "--weights", p(w)));
        }
        for (String w : List.of("missing.pth", "truncated.pth", "set_copies.pth", "dir.pth")) {
            c.add(List.of("classify", "--weights", p(w), png));
            c.add(List.of("features", "--weights", p(w), "--output", p("o.npy"), png));
            c.add(List.of("eval", "--dataset", "imagefolder", "--data-dir", p("folder"), "--weights", p(w)));
            c.add(List.of("infer", "--weights", p(w), "--input", npy, "--output", p("o.npy")));
            c.add(List.of("convert", p(w), p("o.safetensors")));
            c.add(List.of("bench", "--weights", p(w), "--warmup", "0", "--iterations", "1"));
        }
        // Image files.
        for (String i : imageFiles()) {
            c.add(List.of("classify", p(i)));
            c.add(List.of("features", "--output", p("o.npy"), png, p(i)));
        }
        // .npy inputs.
        for (String n : List.of("missing.npy", "empty.npy", "truncated.npy", "text.npy", "rank2.npy", "dir.png", "7-sneaker.png")) {
            c.add(List.of("infer", "--weights", p("pth/checkpoint.pth"), "--entry", "model_ema", "--input", p(n), "--output", p("o.npy")));
        }
        // Outputs that cannot be written.
        c.add(List.of("features", "--output", p("dir.png"), png));
        c.add(List.of("features", "--output", p("file-not-dir") + "/o.npy", png));
        c.add(List.of("convert", p("pth/checkpoint.pth"), p("dir.pth")));
        // Datasets and class indices.
        c.add(List.of("eval", "--dataset", "imagefolder", "--data-dir", p("missing-dir")));
        c.add(List.of("eval", "--dataset", "imagefolder", "--data-dir", p("file-not-dir")));
        c.add(List.of("eval", "--dataset", "imagefolder"));
        c.add(List.of("eval", "--dataset", "mnist-ish"));
        c.add(List.of("eval", "--dataset", "fashion-mnist", "--data-dir", p("folder")));
        for (String ci : List.of("escape.txt", "badindex.txt", "badutf8.txt", "missing.txt", "folder")) {
            c.add(List.of("eval", "--dataset", "imagefolder", "--data-dir", p("folder"), "--class-index", p(ci)));
        }
        // Bad numbers for every numeric option.
        for (String v : List.of("0", "-1", "abc", "1e3", "99999999999")) {
            c.add(List.of("classify", "--top", v, png));
            c.add(List.of("eval", "--dataset", "imagefolder", "--data-dir", p("folder"), "--batch", v));
            c.add(List.of("eval", "--dataset", "imagefolder", "--data-dir", p("folder"), "--limit", v));
            c.add(List.of("bench", "--iterations", v, "--warmup", "0"));
            c.add(List.of("bench", "--batch", v, "--warmup", "0", "--iterations", "1"));
            c.add(List.of("bench", "--resolution", v, "--warmup", "0", "--iterations", "1"));
            c.add(List.of("info", "--threads", v));
            c.add(List.of("info", "--weights", p("pth/checkpoint.pth"), "--image-size", v));
            c.add(List.of("info", "--weights", p("pth/checkpoint.pth"), "--stride", v));
            c.add(List.of("convert", p("pth/checkpoint.pth"), p("o.safetensors"), "--image-size", v));
            c.add(List.of("convert", p("pth/checkpoint.pth"), p("o.safetensors"), "--stride", v));
        }
        for (String v : List.of("-1", "NaN", "Infinity", "abc", "1e300")) {
            c.add(List.of("bench", "--warmup", v, "--iterations", "1"));
        }
        c.add(List.of("classify", "--top", "11", png));
        c.add(List.of("classify", "--top", "2147483647", png));
        // Other bad arguments.
        c.add(List.of("frobnicate"));
        c.add(List.of());
        c.add(List.of("classify"));
        c.add(List.of("classify", "--frob", png));
        c.add(List.of("classify", "--backend", "quantum", png));
        c.add(List.of("info", "--weights", p("pth/checkpoint.pth"), "--entry", "nope"));
        c.add(List.of("features", "--kind", "logits", "--output", p("o.npy"), png));
        c.add(List.of("features", "--kind", "pixels", "--output", p("o.npy"), png));
        c.add(List.of("infer", "--weights", p("pth/checkpoint.pth"), "--input", npy, "--output", p("o.npy"), "--output-kind", "x"));
        c.add(List.of("infer", "--weights", p("pth/checkpoint.pth"), "--entry", "model_ema", "--input", npy, "--output", p("o.npy")));
        c.add(List.of("bench", "--model", "gigantic"));
        // Precisions: unknown names, and a quantized checkpoint whose scales are not finite.
        for (String v : List.of("int4", "fp16", "", "tf32")) {
            c.add(List.of("info", "--precision", v));
            c.add(List.of("classify", "--precision", v, png));
            c.add(List.of("bench", "--precision", v, "--warmup", "0", "--iterations", "1"));
            c.add(List.of("convert", p("pth/checkpoint.pth"), p("o.safetensors"), "--precision", v));
        }
        c.add(List.of("info", "--weights", p("nan-scale-int8.safetensors")));
        c.add(List.of("info", "--weights", p("nan-scale-int8.safetensors"), "--precision", "fp32"));
        c.add(List.of("convert", p("nan-scale-int8.safetensors"), p("o.safetensors"), "--precision", "bf16"));
        c.add(List.of("info", "--weights", "bad\0path"));
        c.add(List.of("classify", "bad\0path.png"));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void failsWithOneLineNamingTheProblem(List<String> args) {
        var r = InferCommandTest.cli(args.toArray(String[]::new));
        String all = r.out() + r.err();
        assertEquals(2, r.code(), "exit status of " + args + ":\n" + all);
        List<String> errors = r.err().lines().filter(l -> l.contains("error:")).toList();
        assertEquals(1, errors.size(), "one error line for " + args + ":\n" + r.err());
        String line = errors.getFirst();
        assertTrue(line.startsWith("vim4j") && line.length() < 1200, line);
        assertTrue(!INTERNALS.matcher(all).find(), "Java internals in the output of " + args + ":\n" + all);
        System.out.println(args.isEmpty() ? line : args.getFirst() + ": " + line);
    }
}
