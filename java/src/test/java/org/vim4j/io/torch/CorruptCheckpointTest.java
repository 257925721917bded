package org.vim4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;
import org.vim4j.io.Fixtures;
import org.vim4j.io.StateDict;
import org.vim4j.io.pickle.PickleBuilder;

/** Damaged or lying checkpoints: each must fail with a VimException that names the file and the problem. */
class CorruptCheckpointTest {
    @TempDir
    Path tmp;

    private static String error(Path p) {
        return error(p, null);
    }

    private static String error(Path p, String entry) {
        String msg = assertThrows(VimException.class, () -> PthReader.read(p, entry).close()).getMessage();
        assertTrue(msg.contains(p.toString()), "message names the file: " + msg);
        return msg;
    }

    /** A one-tensor checkpoint {"w": tensor} with the given geometry over a storage of {@code floats} floats. */
    private Path oneTensor(String name, long numel, int floats, long offset, long[] size, long[] stride) {
        byte[] pkl = new PickleBuilder(2).op('}').str("w").tensor("FloatStorage", "0", numel, offset, size, stride).op('s').stop();
        return Fixtures.write(tmp, name, Fixtures.torchZip("t", pkl, Map.of("0", new byte[floats * 4])));
    }

    @Test
    void handMadeCheckpointLoads() {
        try (StateDict sd = PthReader.read(oneTensor("ok.pth", 6, 6, 2, new long[] {2, 2}, new long[] {2, 1}))) {
            assertArrayEquals(new long[] {2, 2}, sd.get("w").shape());
        }
    }

    @Test
    void truncatedZip() throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.path("pth/bare_state_dict.pth"));
        for (int len : new int[] {good.length / 2, good.length - 10, good.length - 1, 30, 4}) {
            String msg = error(Fixtures.write(tmp, "cut" + len + ".pth", Arrays.copyOf(good, len)));
            assertTrue(msg.contains("not a valid zip archive"), msg);
        }
    }

    @Test
    void truncatedPickle() {
        Map<String, byte[]> entries = Fixtures.entries(Fixtures.path("pth/bare_state_dict.pth"));
        byte[] pkl = entries.get("bare_state_dict/data.pkl");
        entries.put("bare_state_dict/data.pkl", Arrays.copyOf(pkl, pkl.length / 2));
        String msg = error(Fixtures.write(tmp, "tp.pth", Fixtures.zip(entries)));
        assertTrue(msg.contains("bare_state_dict/data.pkl: corrupt or unsupported pickle"), msg);
        assertTrue(msg.contains("truncated"), msg);
    }

    @Test
    void corruptedPickleFailsItsCrc() throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.path("pth/bare_state_dict.pth"));
        byte[] bad = good.clone();
        int at = indexOf(bad, "_rebuild_tensor_v2".getBytes());
        bad[at] = 'X';
        String msg = error(Fixtures.write(tmp, "crc.pth", bad));
        assertTrue(msg.contains("fails its CRC check"), msg);
    }

    @Test
    void wrongMagic() {
        String msg = error(Fixtures.write(tmp, "text.pth", "hello, this is not a checkpoint at all".getBytes()));
        assertTrue(msg.contains("end of central directory record not found"), msg);
    }

    @Test
    void legacyFormat() {
        Path p = Fixtures.path("pth/legacy.pth");
        String msg = error(p);
        assertTrue(msg.contains("legacy torch serialization is not supported; re-save with torch>=1.6 default zip format"), msg);
    }

    @Test
    void storageShorterThanDeclared() {
        String msg = error(Fixtures.path("pth/short_storage.pth"));
        assertTrue(msg.contains("storage '0'") && msg.contains("declares") && msg.contains("holds"), msg);
    }

    @Test
    void tensorExtentPastItsStorage() {
        String msg = error(Fixtures.path("pth/extent_lie.pth"));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("reach element 15, but storage '0' has only 6 elements"), msg);
        String offset = error(Fixtures.path("pth/offset_lie.pth"));
        assertTrue(offset.contains("tensor 'w'") && offset.contains("offset 3 reach element 6"), offset);
        // Same lies built here, at the exact boundary.
        error(oneTensor("b1.pth", 6, 6, 0, new long[] {7}, new long[] {1}));
        error(oneTensor("b2.pth", 6, 6, 6, new long[] {1}, new long[] {1}));
        error(oneTensor("b3.pth", 6, 6, 0, new long[] {2, 3}, new long[] {4, 1}));
    }

    @Test
    void storageNumelThatDisagreesWithTheEntry() {
        String msg = error(oneTensor("n.pth", 8, 6, 0, new long[] {6}, new long[] {1}));
        assertTrue(msg.contains("declares 8 elements = 32 bytes, but zip entry 't/data/0' holds 24 bytes"), msg);
    }

    @Test
    void hugeNegativeAndOverflowingGeometry() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            String huge = error(oneTensor("h.pth", 6, 6, 0, new long[] {1L << 40, 1L << 40}, new long[] {1L << 40, 1}));
            assertTrue(huge.contains("overflows 64-bit arithmetic"), huge);
            // Stride 0 makes 2^60 elements "fit" in 6: refused before allocating anything.
            String big = error(oneTensor("big.pth", 6, 6, 0, new long[] {1L << 30, 1L << 30}, new long[] {0, 0}));
            assertTrue(big.contains("tensor 'w'") && big.contains("copy budget"), big);
            assertTrue(error(oneTensor("ns.pth", 6, 6, 0, new long[] {-2}, new long[] {1})).contains("negative size or stride"));
            assertTrue(error(oneTensor("nt.pth", 6, 6, 5, new long[] {2}, new long[] {-1})).contains("negative size or stride"));
            assertTrue(error(oneTensor("no.pth", 6, 6, -1, new long[] {2}, new long[] {1})).contains("negative storage offset"));
            assertTrue(error(oneTensor("rk.pth", 6, 6, 0, new long[] {2, 3}, new long[] {1})).contains("same rank"));
            assertTrue(error(oneTensor("nn.pth", -6, 6, 0, new long[] {2}, new long[] {1})).contains("non-negative int"));
            assertTrue(error(oneTensor("hn.pth", 1L << 62, 6, 0, new long[] {2}, new long[] {1})).contains("overflows"));
        });
    }

    @Test
    void stridedCopiesShareOneBudgetPerFile() {
        // Each 48 MiB expand alone fits the budget (file size + 64 MiB); the second one does not.
        long n = 12L << 20;
        byte[] pkl = new PickleBuilder(2).op('}', '(')
                .str("a").tensor("FloatStorage", "0", 1, 0, new long[] {n, 1}, new long[] {0, 0})
                .str("b").tensor("FloatStorage", "0", 1, 0, new long[] {n, 1}, new long[] {0, 0})
                .op('u').stop();
        Path p = Fixtures.write(tmp, "exp.pth", Fixtures.torchZip("t", pkl, Map.of("0", Fixtures.f32(3f))));
        String msg = error(p);
        assertTrue(msg.contains("tensor 'b'") && msg.contains("copy budget"), msg);
    }

    @Test
    void compressedStorage() {
        String msg = error(Fixtures.path("pth/compressed_storage.pth"));
        assertTrue(msg.contains("is compressed (method 8)") && msg.contains("stored uncompressed"), msg);
    }

    @Test
    void bigEndianCheckpoint() {
        assertTrue(error(Fixtures.path("pth/big_endian.pth")).contains("byte order is 'big'"));
    }

    @Test
    void zipWithoutDataPklOrWithSeveral() {
        Path none = Fixtures.write(tmp, "none.pth", Fixtures.zip(Map.of("readme.txt", "hi".getBytes())));
        assertTrue(error(none).contains("no '<folder>/data.pkl' entry"));
        Map<String, byte[]> two = new LinkedHashMap<>();
        two.put("a/data.pkl", new PickleBuilder(2).op('}').stop());
        two.put("b/data.pkl", new PickleBuilder(2).op('}').stop());
        assertTrue(error(Fixtures.write(tmp, "two.pth", Fixtures.zip(two))).contains("data.pkl in several folders [a, b]"));
        Map<String, byte[]> nested = Map.of("a/b/data.pkl", new PickleBuilder(2).op('}').stop());
        assertTrue(error(Fixtures.write(tmp, "nested.pth", Fixtures.zip(nested))).contains("no '<folder>/data.pkl'"));
    }

    @Test
    void missingOrInconsistentStorages() {
        byte[] pkl = new PickleBuilder(2).op('}').str("w").tensor("FloatStorage", "7", 1, 0, new long[] {1}, new long[] {1}).op('s')
                .stop();
        String missing = error(Fixtures.write(tmp, "m.pth", Fixtures.torchZip("t", pkl, Map.of())));
        assertTrue(missing.contains("storage '7' has no zip entry 't/data/7'"), missing);

        byte[] clash = new PickleBuilder(2).op('}', '(').str("a").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
                .str("b").tensor("LongStorage", "0", 1, 0, new long[] {1}, new long[] {1}).op('u').stop();
        String msg = error(Fixtures.write(tmp, "c.pth", Fixtures.torchZip("t", clash, Map.of("0", new byte[8]))));
        assertTrue(msg.contains("storage '0' is referenced as torch.LongStorage of 1 elements and as torch.FloatStorage of 2"), msg);

        byte[] badPid = new PickleBuilder(2).op('}').str("w").str("storage").op('Q', 's').stop();
        assertTrue(error(Fixtures.write(tmp, "p.pth", Fixtures.torchZip("t", badPid, Map.of()))).contains("invalid storage reference"));
    }

    @Test
    void topLevelObjectsThatAreNotStateDicts() {
        byte[] list = new PickleBuilder(2).op(']').stop();
        assertTrue(error(Fixtures.write(tmp, "l.pth", Fixtures.torchZip("t", list, Map.of()))).contains("holds list of 0, not a dict"));
        byte[] empty = new PickleBuilder(2).op('}').stop();
        String e = error(Fixtures.write(tmp, "e.pth", Fixtures.torchZip("t", empty, Map.of())));
        assertTrue(e.contains("no state dict found: neither 'model' nor 'state_dict' among the top-level keys []"), e);
        byte[] mixed = new PickleBuilder(2).op('}').str("model").op('}').str("w").op('K', 1, 's', 's').stop();
        String m = error(Fixtures.write(tmp, "x.pth", Fixtures.torchZip("t", mixed, Map.of())));
        assertTrue(m.contains("entry 'model' is not a state dict: value of 'w' is int 1, not a tensor"), m);
        byte[] intKey = new PickleBuilder(2).op('}').str("state_dict").op('}', 'K', 1).tensor("FloatStorage", "0", 1, 0,
                new long[] {1}, new long[] {1}).op('s', 's').stop();
        String k = error(Fixtures.write(tmp, "k.pth", Fixtures.torchZip("t", intKey, Map.of("0", new byte[4]))));
        assertTrue(k.contains("entry 'state_dict' is not a state dict: key int 1 is not a string"), k);
    }

    @Test
    void stateDictEntryIsFoundAutomatically() {
        byte[] pkl = new PickleBuilder(2).op('}').str("epoch").op('K', 3, 's').str("state_dict").op('}').str("w")
                .tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).op('s', 's').stop();
        Path p = Fixtures.write(tmp, "sd.pth", Fixtures.torchZip("t", pkl, Map.of("0", Fixtures.f32(2.5f))));
        try (StateDict sd = PthReader.read(p)) {
            assertEquals(2.5f, sd.get("w").getFloat(0));
            assertEquals("state_dict", sd.metadata().get(PthReader.META_ENTRY));
        }
        assertTrue(error(p, "model").contains("no entry 'model'"));
    }

    @Test
    void zipDirectoryLies() throws IOException {
        byte[] good = Fixtures.torchZip("t", new PickleBuilder(2).op('}').stop(), Map.of());
        int cd = lastIndexOf(good, new byte[] {'P', 'K', 1, 2});
        int firstCd = indexOf(good, new byte[] {'P', 'K', 1, 2});
        int eocd = lastIndexOf(good, new byte[] {'P', 'K', 5, 6});
        ByteBuffer le;

        byte[] badLocal = good.clone();
        le = ByteBuffer.wrap(badLocal).order(ByteOrder.LITTLE_ENDIAN);
        le.putInt(firstCd + 42, 0x7fff0000);
        assertTrue(error(Fixtures.write(tmp, "lo.pth", badLocal)).contains("outside the file's data area"));

        byte[] badSize = good.clone();
        le = ByteBuffer.wrap(badSize).order(ByteOrder.LITTLE_ENDIAN);
        le.putInt(firstCd + 20, 0x7fff0000);
        assertTrue(error(Fixtures.write(tmp, "sz.pth", badSize)).contains("runs past the start of the central directory"));

        byte[] badCd = good.clone();
        le = ByteBuffer.wrap(badCd).order(ByteOrder.LITTLE_ENDIAN);
        le.putInt(eocd + 16, 0x7fff0000);
        assertTrue(error(Fixtures.write(tmp, "cd.pth", badCd)).contains("lies outside the file"));

        byte[] badCount = good.clone();
        le = ByteBuffer.wrap(badCount).order(ByteOrder.LITTLE_ENDIAN);
        le.putShort(eocd + 10, (short) 500);
        assertTrue(error(Fixtures.write(tmp, "n.pth", badCount)).contains("cannot hold 500 entries"));

        byte[] dup = good.clone();
        // Rename the last entry ("t/version") to the first's name length-preserving is not possible; instead,
        // point the last central header at the first local header: names then disagree.
        le = ByteBuffer.wrap(dup).order(ByteOrder.LITTLE_ENDIAN);
        le.putInt(cd + 42, 0);
        assertTrue(error(Fixtures.write(tmp, "ln.pth", dup)).contains("local header names 't/data.pkl'"));

        byte[] multiDisk = good.clone();
        le = ByteBuffer.wrap(multiDisk).order(ByteOrder.LITTLE_ENDIAN);
        le.putShort(eocd + 4, (short) 1);
        assertTrue(error(Fixtures.write(tmp, "md.pth", multiDisk)).contains("multi-disk"));

        byte[] encrypted = good.clone();
        le = ByteBuffer.wrap(encrypted).order(ByteOrder.LITTLE_ENDIAN);
        le.putShort(firstCd + 8, (short) 1);
        assertTrue(error(Fixtures.write(tmp, "enc.pth", encrypted)).contains("encrypted"));
    }

    @Test
    void missingFileEmptyFileAndDirectory() throws IOException {
        assertTrue(error(tmp.resolve("absent.pth")).contains("file not found"));
        assertTrue(error(Fixtures.write(tmp, "empty.pth", new byte[0])).contains("too short to be a zip"));
        Path dir = Files.createDirectory(tmp.resolve("dir.pth"));
        assertTrue(error(dir).contains("not a regular file"));
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    static int lastIndexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = hay.length - needle.length; i >= 0; i--) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
