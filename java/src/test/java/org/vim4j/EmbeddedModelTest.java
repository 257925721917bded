package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vim4j.image.ImageInput;
import org.vim4j.io.idx.IdxDataset;
import org.vim4j.io.json.Json;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.VimConfig;

/**
 * The model shipped inside vim4j (tools/train_fashion_mnist.py): its example images give the logits PyTorch
 * computed, and vim4j's own evaluation over all 10,000 Fashion-MNIST test images reaches >= 89% top-1.
 */
class EmbeddedModelTest {
    static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    @SuppressWarnings("unchecked")
    static Map<String, Object> card() throws IOException {
        try (InputStream in = EmbeddedModelTest.class.getResourceAsStream("/org/vim4j/models/fashion-mnist-vim.json")) {
            return (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "model card");
        }
    }

    @Test
    void loadsWithLabelsAndGrayscalePreprocessing() {
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults())) {
            VimConfig c = m.config();
            assertEquals(1, c.channels());
            assertEquals(28, c.imgSize());
            assertEquals(10, c.numClasses());
            assertEquals("Ankle boot", m.labels().get(9));
            assertEquals(28, m.preprocessing().outputSize());
            assertEquals(1, m.preprocessing().channels());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void exampleImagesGiveTheReferenceLogitsOnEveryBackend() throws Exception {
        List<Map<String, Object>> examples = (List<Map<String, Object>>) card().get("examples");
        assertEquals(10, examples.size());
        for (BackendKind kind : BackendKind.values()) {
            if (!Backends.isAvailable(kind)) {
                continue;
            }
            try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(kind)); VimSession s = m.newSession(1, 28, 28)) {
                for (Map<String, Object> ex : examples) {
                    String file = (String) ex.get("file");
                    Path png = Path.of(EmbeddedModelTest.class.getResource("/org/vim4j/" + file).toURI());
                    float[] logits = s.logits(ImageInput.fromFile(png, m.preprocessing()), 1, 28, 28);
                    List<Number> want = (List<Number>) ex.get("logits");
                    for (int j = 0; j < 10; j++) {
                        assertEquals(want.get(j).floatValue(), logits[j], 1e-4f, kind + " " + file + " class " + j);
                    }
                }
            }
        }
    }

    @Test
    void testSetAccuracyIsAtLeast89Percent() {
        assumeTrue(Files.isDirectory(FASHION_MNIST), "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        IdxDataset d = IdxDataset.read(FASHION_MNIST, "t10k");
        assertEquals(10_000, d.count());
        int batch = 100, correct = 0;
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults()); VimSession s = m.newSession(batch, 28, 28)) {
            float mean = m.preprocessing().mean()[0], std = m.preprocessing().std()[0];
            float[] x = new float[batch * 784];
            for (int start = 0; start < d.count(); start += batch) {
                for (int i = 0; i < batch * 784; i++) {
                    x[i] = ((d.pixels()[start * 784 + i] & 0xff) / 255f - mean) / std;
                }
                float[] logits = s.logits(x, batch, 28, 28);
                for (int i = 0; i < batch; i++) {
                    int best = 0;
                    for (int j = 1; j < 10; j++) {
                        if (logits[i * 10 + j] > logits[i * 10 + best]) {
                            best = j;
                        }
                    }
                    correct += best == d.label(start + i) ? 1 : 0;
                }
            }
        }
        double top1 = correct / 10_000.0;
        System.out.printf("embedded Fashion-MNIST model: top-1 %.4f over 10,000 test images%n", top1);
        assertTrue(top1 >= 0.89, "top-1 " + top1 + " < 0.89");
    }
}
