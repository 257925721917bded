package org.vim4j.io.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;
import org.vim4j.io.Fixtures;
import org.vim4j.io.StateDict;
import org.vim4j.io.safetensors.SafetensorsWriter;
import org.vim4j.io.torch.PthReader;
import org.vim4j.tensor.Tensor;

class CheckpointReaderTest {
    @TempDir
    Path tmp;

    @Test
    void detectsEachFormatByItsFirstBytes() {
        assertEquals(CheckpointReader.Format.PYTORCH_ZIP, CheckpointReader.detect(Fixtures.path("pth/checkpoint.pth")));
        assertEquals(CheckpointReader.Format.SAFETENSORS, CheckpointReader.detect(Fixtures.path("safetensors/handmade.safetensors")));
        assertEquals(CheckpointReader.Format.PYTORCH_LEGACY, CheckpointReader.detect(Fixtures.path("pth/legacy.pth")));
    }

    @Test
    void readsBothFormats() {
        try (StateDict pth = CheckpointReader.read(Fixtures.path("pth/checkpoint.pth"), "model_ema")) {
            assertEquals("model_ema", pth.metadata().get(PthReader.META_ENTRY));
            assertEquals(9, pth.size());
        }
        try (StateDict st = CheckpointReader.read(Fixtures.path("safetensors/handmade.safetensors"))) {
            assertEquals(3, st.size());
        }
    }

    @Test
    void pthToSafetensorsConversionKeepsEverything() {
        Path out = tmp.resolve("converted.safetensors");
        try (StateDict pth = CheckpointReader.read(Fixtures.path("pth/views.pth"))) {
            SafetensorsWriter.write(out, pth);
            try (StateDict st = CheckpointReader.read(out)) {
                assertEquals(pth.names(), st.names());
                for (String n : pth.names()) {
                    assertEquals(java.util.Arrays.toString(pth.get(n).shape()), java.util.Arrays.toString(st.get(n).shape()));
                    org.junit.jupiter.api.Assertions.assertArrayEquals(pth.get(n).toFloatArray(), st.get(n).toFloatArray(), n);
                }
                assertEquals(pth.metadata(), st.metadata());
            }
        }
    }

    @Test
    void entryOtherThanModelDoesNotApplyToSafetensors() {
        Path p = Fixtures.path("safetensors/handmade.safetensors");
        String msg = assertThrows(VimException.class, () -> CheckpointReader.read(p, "model_ema")).getMessage();
        assertTrue(msg.contains("entry 'model_ema' applies only to .pth checkpoints"), msg);
        CheckpointReader.read(p, "model").close();
    }

    @Test
    void legacyIsExplained() {
        Path p = Fixtures.path("pth/legacy.pth");
        String msg = assertThrows(VimException.class, () -> CheckpointReader.read(p)).getMessage();
        assertEquals(p + ": legacy torch serialization is not supported; re-save with torch>=1.6 default zip format", msg);
    }

    @Test
    void unknownFormatsQuoteTheirFirstBytes() throws Exception {
        Path text = Fixtures.write(tmp, "notes.pth", "{\"a\": 1}".getBytes());
        String msg = assertThrows(VimException.class, () -> CheckpointReader.read(text)).getMessage();
        assertEquals("not a PyTorch checkpoint or safetensors file: " + text + " (first bytes 7b 22 61 22 3a 20 31 7d)", msg);
        Path npy = Fixtures.path("npy/scalar.npy");
        assertTrue(assertThrows(VimException.class, () -> CheckpointReader.read(npy)).getMessage().contains("first bytes 93 4e 55 4d"));
        Path empty = Fixtures.write(tmp, "empty.bin", new byte[0]);
        assertTrue(assertThrows(VimException.class, () -> CheckpointReader.read(empty)).getMessage().contains("the file is empty"));
    }

    @Test
    void missingFileIsNamed() {
        Path p = tmp.resolve("no/such/file.pth");
        assertEquals("file not found: " + p, assertThrows(VimException.class, () -> CheckpointReader.read(p)).getMessage());
        assertThrows(VimException.class, () -> CheckpointReader.read(Files.createTempDirectory(tmp, "d")));
    }

    @Test
    void safetensorsSniffingNeedsTheBrace() {
        try (Arena arena = Arena.ofConfined()) {
            SequencedMap<String, Tensor> t = new LinkedHashMap<>();
            t.put("x", Tensor.copyOf(arena, "x", new float[] {1}, 1));
            Path p = tmp.resolve("a.bin");
            SafetensorsWriter.write(p, t, Map.of());
            assertEquals(CheckpointReader.Format.SAFETENSORS, CheckpointReader.detect(p));
        }
    }
}
