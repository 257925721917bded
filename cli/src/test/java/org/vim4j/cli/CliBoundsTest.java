package org.vim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.io.StateDict;
import org.vim4j.io.json.Json;
import org.vim4j.io.npy.Npy;
import org.vim4j.model.RandomWeights;
import org.vim4j.VimConfig;
import org.vim4j.tensor.Tensor;

/** Options with bounds, and commands whose memory is a batch (or one image), not the dataset. */
class CliBoundsTest {
    @TempDir
    Path tmp;

    Path example(String name) throws Exception {
        return TestFiles.example(name, tmp.resolve("examples"));
    }

    /** A random 28x28 Vim of {@code channels} channels and 10 classes, as a bare .pth: no mean/std metadata. */
    Path randomPth(String name, int channels, Map<String, Tensor> extra) throws Exception {
        VimConfig c = new VimConfig(28, 4, 4, channels, 16, 1, 16, 4, 2, 1, 10, 1e-5f);
        try (StateDict sd = RandomWeights.create(c, 11)) {
            SequencedMap<String, Tensor> t = new LinkedHashMap<>(sd.tensors());
            t.putAll(extra);
            return TestFiles.pth(tmp.resolve(name), t);
        }
    }

    @Test
    void topMustBeBetweenOneAndTheClasses() throws Exception {
        String png = example("7-sneaker.png").toString();
        for (String bad : new String[] {"0", "-1", "11"}) {
            var r = InferCommandTest.cli("classify", "--top", bad, png);
            assertEquals(2, r.code());
            assertTrue(r.err().contains("--top " + bad + ": must be"), r.err());
        }
        var r = InferCommandTest.cli("classify", "--top", "10", "--json", png);
        assertEquals(0, r.code(), r.err());
        var results = (List<?>) ((Map<?, ?>) Json.parse(r.out(), "classify")).get("results");
        assertEquals(10, ((List<?>) ((Map<?, ?>) results.getFirst()).get("top")).size());
    }

    /** Before: ImageNet's three-channel transform was assumed, so a grayscale .pth could not classify anything. */
    @Test
    void aGrayscalePthWithoutMetadataClassifies() throws Exception {
        Path pth = randomPth("gray.pth", 1, Map.of());
        var r = InferCommandTest.cli("classify", "--weights", pth.toString(), "--top", "3", "--json",
                example("7-sneaker.png").toString(), example("1-trouser.png").toString());
        assertEquals(0, r.code(), r.err());
        var results = (List<?>) ((Map<?, ?>) Json.parse(r.out(), "classify")).get("results");
        assertEquals(2, results.size());
        r = InferCommandTest.cli("features", "--weights", pth.toString(), "--output", tmp.resolve("g.npy").toString(),
                example("7-sneaker.png").toString());
        assertEquals(0, r.code(), r.err());
    }

    /** Before: the name was written as '?' and convert exited 0 with a file that named another tensor. */
    @Test
    void convertRefusesNamesItCannotWriteFaithfully() throws Exception {
        try (Arena a = Arena.ofConfined()) {
            Path pth = randomPth("surrogate.pth", 3, Map.of("extra\ud800", Tensor.copyOf(a, "x", new float[] {1, 2}, 2)));
            Path out = tmp.resolve("s.safetensors");
            var r = InferCommandTest.cli("convert", pth.toString(), out.toString());
            assertEquals(2, r.code(), r.out());
            assertTrue(r.err().contains("cannot write tensor name \"extra?\": it holds a lone surrogate U+D800"), r.err());
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void classIndexEntriesStayInsideTheDataDir() throws Exception {
        Path root = tmp.resolve("folder");
        Files.createDirectories(root.resolve("a"));
        Files.copy(example("7-sneaker.png"), root.resolve("a").resolve("x.png"));
        Files.createDirectories(root.resolve("b"));
        Files.copy(example("1-trouser.png"), root.resolve("b").resolve("x.png"));
        Files.createDirectories(tmp.resolve("outside"));
        Files.copy(example("1-trouser.png"), tmp.resolve("outside").resolve("y.png"));
        for (String line : new String[] {"../outside 1", "a/../../outside 1", "..", "/etc 1", "a\\..\\b 1"}) {
            Path idx = Files.writeString(tmp.resolve("idx.txt"), "a 7\n" + line + "\n");
            var r = InferCommandTest.cli("eval", "--dataset", "imagefolder", "--data-dir", root.toString(), "--class-index",
                    idx.toString());
            assertEquals(2, r.code(), r.out());
            assertTrue(r.err().contains("line 2: '") && r.err().contains("is not a folder name inside --data-dir"), r.err());
        }
        Path idx = Files.writeString(tmp.resolve("idx.txt"), "a 7\nb 1\nmissing 3\n");
        var r = InferCommandTest.cli("eval", "--dataset", "imagefolder", "--data-dir", root.toString(), "--class-index",
                idx.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(2, ((Number) ((Map<?, ?>) Json.parse(r.out(), "eval")).get("images")).intValue());
        assertEquals(1.0, ((Number) ((Map<?, ?>) Json.parse(r.out(), "eval")).get("top1")).doubleValue(), "7 is Sneaker");
    }

    /** Before: 15,000 images of 3x224x224 overflowed an int before any image was read. */
    @Test
    void batchesWhoseBuffersCannotFitAreRefusedNamingTheLimit() {
        try (VimModel m = VimModel.loadDefault(org.vim4j.VimOptions.defaults())) {
            long heapLimit = Runtime.getRuntime().maxMemory() / 4;
            String msg = assertThrows(VimException.class, () -> EvalCommand.checkBatch(15_000, 3, 224, m)).getMessage();
            assertTrue(msg.contains("--batch 15000: the input buffer of 15000 images of 3x224x224 is 9,031,680,000 bytes; at most "),
                    msg);
            assertTrue(msg.contains(heapLimit / (3 * 224 * 224 * 4) < 14_266 ? "a quarter of this JVM's heap"
                    : "14,266 images fit in one Java array"), msg);
            int overHeap = (int) Math.min(14_000, heapLimit / (3 * 224 * 224 * 4) + 1);
            if ((long) overHeap * 3 * 224 * 224 * 4 > heapLimit) {
                msg = assertThrows(VimException.class, () -> EvalCommand.checkBatch(overHeap, 3, 224, m)).getMessage();
                assertTrue(msg.contains("a quarter of this JVM's heap; raise -Xmx"), msg);
            }
            assertEquals(64, EvalCommand.checkBatch(64, 1, 28, m));
        }
    }

    /** eval reads the dataset a batch at a time: the folder's images in class order, batches of 7 over 30 images. */
    @Test
    void evalStreamsAFolderInBatches() throws Exception {
        Path root = tmp.resolve("many");
        String[][] classes = {{"0", "0-tshirt-top.png"}, {"1", "1-trouser.png"}, {"7", "7-sneaker.png"}};
        for (String[] c : classes) {
            Files.createDirectories(root.resolve(c[0]));
            for (int i = 0; i < 10; i++) {
                Files.copy(example(c[1]), root.resolve(c[0]).resolve(i + ".png"));
            }
        }
        Path idx = Files.writeString(tmp.resolve("idx.txt"), "0 0\n1 1\n7 7\n");
        var r = InferCommandTest.cli("eval", "--dataset", "imagefolder", "--data-dir", root.toString(), "--class-index",
                idx.toString(), "--batch", "7", "--json");
        assertEquals(0, r.code(), r.err());
        Map<?, ?> json = (Map<?, ?>) Json.parse(r.out(), "eval");
        assertEquals(30, ((Number) json.get("images")).intValue());
        assertEquals(1.0, ((Number) json.get("top1")).doubleValue());
        r = InferCommandTest.cli("eval", "--dataset", "imagefolder", "--data-dir", root.toString(), "--class-index",
                idx.toString(), "--batch", "7", "--limit", "12", "--json");
        assertEquals(12, ((Number) ((Map<?, ?>) Json.parse(r.out(), "eval")).get("images")).intValue());
    }

    /** features appends each image's tokens to the .npy as it goes; the array is exactly what batch-1 inference gives. */
    @Test
    void featuresStreamTokensOfManyImages() throws Exception {
        Path png = example("3-dress.png");
        String[] args = new String[3 + 40];
        args[0] = "features";
        args[1] = "--kind=tokens";
        Path out = tmp.resolve("t.npy");
        args[2] = "--output=" + out;
        for (int i = 0; i < 40; i++) {
            args[3 + i] = png.toString();
        }
        var r = InferCommandTest.cli(args);
        assertEquals(0, r.code(), r.err());
        try (Arena a = Arena.ofConfined(); VimModel m = VimModel.loadDefault(org.vim4j.VimOptions.defaults());
                var s = m.newSession()) {
            Tensor t = Npy.read(out, a);
            assertEquals("[40, 50, 64]", java.util.Arrays.toString(t.shape()));
            float[] want = s.tokenFeatures(org.vim4j.image.ImageInput.fromFile(png, m.preprocessing()), 1, 28, 28);
            float[] all = t.toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], all[39 * want.length + i], 1e-5f);
            }
        }
    }
}
