package org.vim4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vim4j.VimException;
import org.vim4j.io.Fixtures;
import org.vim4j.io.StateDict;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/** Real torch.save files written by torch 1.13 (tools/make_io_fixtures.py), checked against what torch reported. */
class PthReaderTest {
    private static final List<String> TINY_VIM_KEYS = List.of("cls_token", "pos_embed", "layers.0.mixer.A_log",
            "norm_f.weight", "patch_embed.proj.weight", "patch_embed.proj.bias", "layers.0.mixer.in_proj.weight",
            "head.weight", "head.bias");

    /** Every tensor of {@code sd} matches torch's shape and values, in torch's order. */
    @SuppressWarnings("unchecked")
    static void assertMatches(Map<String, Object> expected, StateDict sd) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(sd.names()), "names in file order");
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            Map<String, Object> x = (Map<String, Object>) e.getValue();
            Tensor t = sd.get(e.getKey());
            assertEquals(e.getKey(), t.name());
            assertArrayEquals(Fixtures.longs(x.get("shape")), t.shape(), e.getKey());
            assertArrayEquals(Fixtures.floats(x.get("values")), t.toFloatArray(), e.getKey());
        }
    }

    @Test
    void readsABareStateDictWhoseFolderIsTheFileStem() {
        Path p = Fixtures.path("pth/bare_state_dict.pth");
        try (StateDict sd = PthReader.read(p)) {
            assertMatches(Fixtures.expected("pth/bare_state_dict.expected.json"), sd);
            assertEquals(TINY_VIM_KEYS.size(), sd.size());
            assertEquals(PthReader.ROOT_ENTRY, sd.metadata().get(PthReader.META_ENTRY));
            assertEquals(p, sd.source());
            for (Tensor t : sd.tensors().values()) {
                assertEquals(DType.F32, t.dtype());
                assertTrue(t.data().isMapped(), t.name() + " is a zero-copy slice of the mapped file");
            }
        }
        // "model" is the default entry and accepts a bare state dict too.
        try (StateDict sd = PthReader.read(p, "model")) {
            assertEquals(TINY_VIM_KEYS.size(), sd.size());
        }
    }

    @Test
    void readsTheArchiveFolderThatNewerTorchAndBuffersUse() {
        try (StateDict sd = PthReader.read(Fixtures.path("pth/archive_prefix.pth"))) {
            assertMatches(Fixtures.expected("pth/bare_state_dict.expected.json"), sd);
        }
    }

    @Test
    void readsTheLayoutOfNewerTorch(@org.junit.jupiter.api.io.TempDir Path tmp) {
        // torch >= 2.1 writes "archive/", a byteorder record and a few .data/ records next to the storages.
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        Fixtures.entries(Fixtures.path("pth/bare_state_dict.pth"))
                .forEach((k, v) -> entries.put(k.replaceFirst("^bare_state_dict/", "archive/"), v));
        entries.put("archive/byteorder", "little".getBytes());
        entries.put("archive/.data/version", "3\n".getBytes());
        entries.put("archive/.data/serialization_id", "1234567890".getBytes());
        entries.put("archive/.format_version", "1".getBytes());
        Path p = Fixtures.write(tmp, "new.pth", Fixtures.zip(entries));
        try (StateDict sd = PthReader.read(p)) {
            assertMatches(Fixtures.expected("pth/bare_state_dict.expected.json"), sd);
        }
    }

    @Test
    void readsADeflatedPickle() {
        try (StateDict sd = PthReader.read(Fixtures.path("pth/deflated_pickle.pth"))) {
            assertMatches(Fixtures.expected("pth/bare_state_dict.expected.json"), sd);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void readsModelAndModelEmaFromATrainingCheckpoint() {
        Path p = Fixtures.path("pth/checkpoint.pth");
        Map<String, Object> expected = Fixtures.expected("pth/checkpoint.expected.json");
        float[] modelCls;
        try (StateDict model = PthReader.read(p)) {
            assertMatches((Map<String, Object>) expected.get("model"), model);
            assertEquals("model", model.metadata().get(PthReader.META_ENTRY));
            assertEquals("224", model.metadata().get("args.input_size"));
            assertEquals("vim_tiny_patch16_224_bimambav2_final_pool_mean_abs_pos_embed_with_midclstok_div2",
                    model.metadata().get("args.model"));
            assertEquals(3, model.metadata().size());
            modelCls = model.get("cls_token").toFloatArray();
        }
        try (StateDict ema = PthReader.read(p, "model_ema")) {
            assertMatches((Map<String, Object>) expected.get("model_ema"), ema);
            assertEquals("model_ema", ema.metadata().get(PthReader.META_ENTRY));
            assertEquals("224", ema.metadata().get("args.input_size"));
            float[] emaCls = ema.get("cls_token").toFloatArray();
            assertNotEquals(modelCls[0], emaCls[0], "model and model_ema hold different weights");
            for (int i = 0; i < modelCls.length; i++) {
                assertEquals(modelCls[i] * 0.5f + 0.25f, emaCls[i], 1e-6f);
            }
        }
        try (StateDict explicit = PthReader.read(p, "model")) {
            assertEquals(TINY_VIM_KEYS.size(), explicit.size());
        }
    }

    @Test
    void otherEntriesOfATrainingCheckpointAreNotStateDicts() {
        Path p = Fixtures.path("pth/checkpoint.pth");
        String opt = assertThrows(VimException.class, () -> PthReader.read(p, "optimizer")).getMessage();
        assertTrue(opt.contains("entry 'optimizer' is not a state dict"), opt);
        String epoch = assertThrows(VimException.class, () -> PthReader.read(p, "epoch")).getMessage();
        assertTrue(epoch.contains("entry 'epoch' is not a state dict: it is int 299"), epoch);
        String missing = assertThrows(VimException.class, () -> PthReader.read(p, "ema")).getMessage();
        assertTrue(missing.contains("no entry 'ema'") && missing.contains("'model', 'optimizer', 'lr_scheduler', 'epoch', "
                + "'model_ema', 'scaler', 'args'"), missing);
        String bare = assertThrows(VimException.class,
                () -> PthReader.read(Fixtures.path("pth/bare_state_dict.pth"), "model_ema")).getMessage();
        assertTrue(bare.contains("bare state dict; it has no entry 'model_ema'"), bare);
    }

    @Test
    void stripsTheDdpModulePrefix() {
        try (StateDict sd = PthReader.read(Fixtures.path("pth/ddp_prefix.pth"))) {
            assertMatches(Fixtures.expected("pth/bare_state_dict.expected.json"), sd);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void viewsSharingOneStorageMatchTorch() {
        Map<String, Object> expected = Fixtures.expected("pth/views.expected.json");
        try (StateDict sd = PthReader.read(Fixtures.path("pth/views.pth"))) {
            assertMatches(expected, sd);
            // Contiguous views (even at a storage offset) stay zero-copy; strided ones are copied.
            for (String name : List.of("base", "rows", "unit_row", "scalar")) {
                assertTrue(sd.get(name).data().isMapped(), name);
            }
            for (String name : List.of("transposed", "column", "narrow", "expanded", "permuted")) {
                assertFalse(sd.get(name).data().isMapped(), name);
            }
            Map<String, Object> rows = (Map<String, Object>) expected.get("rows");
            assertEquals(6L, rows.get("storage_offset"), "the fixture really has an offset view");
            assertEquals(List.of(1L, 0L), ((Map<String, Object>) expected.get("expanded")).get("stride"));
            assertArrayEquals(new long[] {0, 3}, sd.get("empty").shape());
            assertEquals(0, sd.get("scalar").rank());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void readsEveryStorageDtype() {
        Map<String, Object> expected = Fixtures.expected("pth/dtypes.expected.json");
        Map<String, DType> dtypes = Map.of("f16", DType.F16, "bf16", DType.BF16, "f64", DType.F64, "i64", DType.I64,
                "i32", DType.I32, "i16", DType.I16, "i8", DType.I8, "u8", DType.U8, "bool", DType.BOOL);
        try (StateDict sd = PthReader.read(Fixtures.path("pth/dtypes.pth"))) {
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(sd.names()));
            for (String name : expected.keySet()) {
                Tensor t = sd.get(name);
                Map<String, Object> x = (Map<String, Object>) expected.get(name);
                assertEquals(dtypes.get(name), t.dtype(), name);
                assertArrayEquals(Fixtures.longs(x.get("shape")), t.shape(), name);
                List<?> values = (List<?>) x.get("values");
                for (int i = 0; i < values.size(); i++) {
                    Number v = (Number) values.get(i);
                    switch (t.dtype()) {
                        case F16, BF16, F64 -> assertEquals((float) v.doubleValue(), t.getFloat(i), name + "[" + i + "]");
                        case I64 -> assertEquals(v.longValue(), t.data().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i));
                        case I32 -> assertEquals(v.intValue(), t.data().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i));
                        case I16 -> assertEquals(v.shortValue(), t.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
                        case I8 -> assertEquals(v.byteValue(), t.data().get(ValueLayout.JAVA_BYTE, i));
                        case U8, BOOL -> assertEquals(v.intValue(), Byte.toUnsignedInt(t.data().get(ValueLayout.JAVA_BYTE, i)));
                        default -> throw new AssertionError(name);
                    }
                }
            }
            assertEquals(1e300, sd.get("f64").data().getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, 2));
        }
    }

    @Test
    void tensorsAreUnusableAfterClose() {
        StateDict sd = PthReader.read(Fixtures.path("pth/views.pth"));
        Tensor mapped = sd.get("base");
        Tensor copied = sd.get("transposed");
        sd.close();
        assertThrows(IllegalStateException.class, () -> mapped.getFloat(0));
        assertThrows(IllegalStateException.class, () -> copied.getFloat(0));
    }
}
