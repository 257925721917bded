package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.image.Preprocessing;
import org.vim4j.io.StateDict;
import org.vim4j.io.safetensors.SafetensorsWriter;
import org.vim4j.model.RandomWeights;

/** How images are prepared follows the model's channel count; metadata that says otherwise is named. */
class PreprocessingChoiceTest {
    @TempDir
    Path tmp;

    Path model(int channels, Map<String, String> extra) {
        VimConfig c = new VimConfig(16, 4, 4, channels, 16, 1, 16, 4, 2, 1, 3, 1e-5f);
        Path p = tmp.resolve("m" + channels + extra.hashCode() + ".safetensors");
        try (StateDict sd = RandomWeights.create(c, 7)) {
            Map<String, String> meta = new HashMap<>(Map.of("vim4j.img_size", "16", "vim4j.stride", "4"));
            meta.putAll(extra);
            SafetensorsWriter.write(p, sd.tensors(), meta);
        }
        return p;
    }

    @Test
    void aGrayscaleModelWithoutMeanAndStdGetsOneChannel() {
        try (VimModel m = VimModel.load(model(1, Map.of()))) {
            Preprocessing p = m.preprocessing();
            assertEquals(1, p.channels());
            assertArrayEquals(new float[] {0.5f}, p.mean());
            assertArrayEquals(new float[] {0.5f}, p.std());
            assertEquals(16, p.outputSize());
        }
        try (VimModel m = VimModel.load(model(3, Map.of()))) {
            assertEquals(3, m.preprocessing().channels());
            assertEquals(0.485f, m.preprocessing().mean()[0]);
        }
        try (VimModel m = VimModel.load(model(1, Map.of("vim4j.mean", "0.25", "vim4j.std", "0.125")))) {
            assertArrayEquals(new float[] {0.25f}, m.preprocessing().mean());
        }
    }

    @Test
    void malformedMetadataAndOddChannelCountsAreNamed() {
        String[][] bad = {
            {"abc", "0.5", "metadata vim4j.mean value 'abc' is not a finite number"},
            {"0.5", "0", "metadata vim4j.std value '0' is not a positive number"},
            {"0.5", "NaN", "metadata vim4j.std value 'NaN' is not a positive number"},
            {"0.5,0.5", "0.5", "metadata vim4j.mean has 2 value(s); the model's input has 1 channel(s)"},
            {"1e99", "0.5", "metadata vim4j.mean value '1e99' is not a finite number"},
        };
        for (String[] b : bad) {
            try (VimModel m = VimModel.load(model(1, Map.of("vim4j.mean", b[0], "vim4j.std", b[1])))) {
                String msg = assertThrows(VimException.class, m::preprocessing).getMessage();
                assertTrue(msg.contains(b[2]) && msg.contains(".safetensors"), msg);
            }
        }
        try (VimModel m = VimModel.load(model(2, Map.of()))) {
            String msg = assertThrows(VimException.class, m::preprocessing).getMessage();
            assertTrue(msg.contains("the model takes 2-channel input"), msg);
        }
    }
}
