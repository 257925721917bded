package org.vim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.io.StateDict;
import org.vim4j.io.json.Json;
import org.vim4j.io.npy.Npy;
import org.vim4j.io.safetensors.SafetensorsReader;
import org.vim4j.tensor.Tensor;

/** The everyday commands: classify, features, eval, info, convert — human and --json output, clear errors. */
class CommandsTest {
    @TempDir
    Path tmp;

    Path example(String name) throws Exception {
        return TestFiles.example(name, tmp.resolve("examples"));
    }

    @Test
    void helpAndVersionForTheToolAndEveryCommand() {
        var top = InferCommandTest.cli("--help");
        assertEquals(0, top.code(), top.err());
        for (String c : new String[] {"classify", "features", "eval", "infer", "info", "convert", "bench", "help"}) {
            assertTrue(top.out().contains("\n  " + c + " "), c + " listed in\n" + top.out());
        }
        for (String c : new String[] {"classify", "features", "eval", "infer", "info", "convert", "bench"}) {
            var r = InferCommandTest.cli(c, "--help");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("Usage: vim4j " + c + " [OPTIONS]"), r.out());
            assertTrue(r.out().contains("-h, --help"), r.out());
            assertEquals(r.out(), InferCommandTest.cli("help", c).out(), "vim4j help " + c);
            if (!c.equals("convert")) {
                assertTrue(r.out().contains("--backend NAME") && r.out().contains("--precision MODE"), r.out());
            }
        }
        assertEquals("vim4j 0.1.0\n", InferCommandTest.cli("--version").out());
        assertEquals("vim4j 0.1.0\n", InferCommandTest.cli("info", "-V").out());
        var bad = InferCommandTest.cli("help", "frobnicate");
        assertEquals(2, bad.code());
        assertEquals("vim4j help: error: unknown command 'frobnicate' (see 'vim4j --help')\n", bad.err());
        var typo = InferCommandTest.cli("info", "--wieghts", "x");
        assertEquals("vim4j info: error: unknown option '--wieghts' (did you mean --weights?) (see 'vim4j info --help')\n",
                typo.err());
    }

    @Test
    void classifyTheEmbeddedExamples() throws Exception {
        var r = InferCommandTest.cli("classify", example("7-sneaker.png").toString(), example("1-trouser.png").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1. Sneaker"), r.out());
        assertTrue(r.out().contains("1. Trouser"), r.out());
        assertTrue(r.out().contains(" ms)"), r.out());

        r = InferCommandTest.cli("classify", "--json", "--top", "3", example("9-ankle-boot.png").toString());
        assertEquals(0, r.code(), r.err());
        @SuppressWarnings("unchecked")
        var json = (java.util.Map<String, Object>) Json.parse(r.out(), "classify output");
        var results = (java.util.List<?>) json.get("results");
        var top = (java.util.List<?>) ((java.util.Map<?, ?>) results.get(0)).get("top");
        assertEquals(3, top.size());
        assertEquals("Ankle boot", ((java.util.Map<?, ?>) top.get(0)).get("label"));

        r = InferCommandTest.cli("classify", tmp.resolve("missing.png").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing.png") && r.err().strip().lines().count() == 1, r.err());
    }

    @Test
    void featuresWritesClassTokenAndAllTokenArrays() throws Exception {
        Path out = tmp.resolve("f.npy");
        var r = InferCommandTest.cli("features", "--output", out.toString(), example("0-tshirt-top.png").toString(),
                example("3-dress.png").toString());
        assertEquals(0, r.code(), r.err());
        try (Arena a = Arena.ofConfined()) {
            assertEquals("[2, 64]", java.util.Arrays.toString(Npy.read(out, a).shape()));
        }
        r = InferCommandTest.cli("features", "--kind", "tokens", "--output", out.toString(), example("0-tshirt-top.png").toString());
        assertEquals(0, r.code(), r.err());
        try (Arena a = Arena.ofConfined()) {
            assertEquals("[1, 50, 64]", java.util.Arrays.toString(Npy.read(out, a).shape()));
        }
    }

    @Test
    void evalReportsTop1AsJson() {
        assumeTrue(Files.isDirectory(EvalCommand.DEBIAN_FASHION_MNIST), "dataset-fashion-mnist not installed");
        var r = InferCommandTest.cli("eval", "--dataset", "fashion-mnist", "--limit", "500", "--json");
        assertEquals(0, r.code(), r.err());
        var json = (java.util.Map<?, ?>) Json.parse(r.out(), "eval output");
        double top1 = ((Number) json.get("top1")).doubleValue();
        assertEquals(500, ((Number) json.get("images")).intValue());
        assertTrue(top1 > 0.85 && top1 <= 1.0, "top1 " + top1);
    }

    @Test
    void evalOverAnImageFolder() throws Exception {
        // Two classes laid out ImageFolder-style with the embedded examples; the folder order gives the indices.
        Path root = tmp.resolve("folder");
        String[][] classes = {{"0-tshirt", "0-tshirt-top.png"}, {"1-trouser", "1-trouser.png"}};
        for (String[] c : classes) {
            Files.createDirectories(root.resolve(c[0]));
            Files.copy(example(c[1]), root.resolve(c[0]).resolve("a.png"));
        }
        var r = InferCommandTest.cli("eval", "--dataset", "imagefolder", "--data-dir", root.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(1.0, ((Number) ((java.util.Map<?, ?>) Json.parse(r.out(), "eval")).get("top1")).doubleValue());
    }

    @Test
    void infoAndConvert() throws Exception {
        var r = InferCommandTest.cli("info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("parameters   143,562"), r.out());
        r = InferCommandTest.cli("info", "--json");
        assertEquals(143562, ((Number) ((java.util.Map<?, ?>) Json.parse(r.out(), "info")).get("parameters")).intValue());

        Path pth = TestFiles.golden("pth", tmp, "checkpoint.pth").resolve("checkpoint.pth");
        Path out = tmp.resolve("c.safetensors");
        r = InferCommandTest.cli("convert", pth.toString(), out.toString(), "--entry", "model_ema");
        assertEquals(0, r.code(), r.err());
        try (StateDict sd = SafetensorsReader.read(out)) {
            assertEquals(41, sd.size());
            assertEquals("16", sd.metadata().get("vim4j.img_size"));
            Tensor w = sd.get("head.weight");
            assertEquals(2, w.rank());
        }
    }

    /** --precision on the commands that load a model, and convert --precision writing a checkpoint that loads at it. */
    @Test
    void precisionEndToEnd() throws Exception {
        var r = InferCommandTest.cli("info", "--backend", "vector", "--precision", "bf16");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("precision    bf16"), r.out());
        r = InferCommandTest.cli("info", "--backend", "vector", "--json");
        assertEquals("fp32", ((java.util.Map<?, ?>) Json.parse(r.out(), "info")).get("precision"));

        r = InferCommandTest.cli("classify", "--backend", "vector", "--precision", "int8", "--top", "1",
                example("7-sneaker.png").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Sneaker"), r.out());
        assertTrue(r.out().contains("backend vector, int8, "), "classify says which precision ran: " + r.out());

        r = InferCommandTest.cli("bench", "--backend", "vector", "--model", "tiny", "--resolution", "64", "--warmup", "0",
                "--iterations", "1", "--precision", "int8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("precision=int8"), r.out());

        Path src = tmp.resolve("fm.safetensors"), q = tmp.resolve("fm-int8.safetensors");
        try (var in = org.vim4j.VimModel.class.getResourceAsStream("/org/vim4j/models/fashion-mnist-vim.safetensors")) {
            Files.copy(in, src);
        }
        r = InferCommandTest.cli("convert", src.toString(), q.toString(), "--precision", "int8", "--json");
        assertEquals(0, r.code(), r.err());
        var j = (java.util.Map<?, ?>) Json.parse(r.out(), "convert");
        assertEquals("int8", j.get("precision"));
        assertEquals(Files.size(q), ((Number) j.get("bytes")).longValue());
        assertTrue(Files.size(q) < Files.size(src) / 3, Files.size(q) + " bytes");
        try (StateDict sd = SafetensorsReader.read(q)) {
            assertEquals("int8", sd.metadata().get("vim4j.precision"));
            assertEquals(org.vim4j.tensor.DType.I8, sd.get("layers.0.mixer.in_proj.weight").dtype());
            assertEquals(org.vim4j.tensor.DType.F32, sd.get("layers.0.mixer.in_proj.weight_scale").dtype());
            assertEquals(org.vim4j.tensor.DType.BF16, sd.get("layers.0.mixer.A_log").dtype());
        }
        // The stored precision is the default; --precision overrides it (dequantizing).
        r = InferCommandTest.cli("info", "--backend", "vector", "--weights", q.toString());
        assertTrue(r.out().contains("precision    int8"), r.out());
        r = InferCommandTest.cli("classify", "--backend", "vector", "--weights", q.toString(), "--precision", "fp32",
                "--top", "1", example("7-sneaker.png").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Sneaker"), r.out());
        assertTrue(r.out().contains("backend vector, fp32, "), r.out());
    }
}
