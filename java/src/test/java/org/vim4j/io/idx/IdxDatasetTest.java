package org.vim4j.io.idx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;

class IdxDatasetTest {
    @TempDir
    Path tmp;

    static byte[] idx(int magic, int[] dims, int dataBytes) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(magic);
        for (int x : dims) {
            d.writeInt(x);
        }
        for (int i = 0; i < dataBytes; i++) {
            d.writeByte(i * 7);
        }
        return b.toByteArray();
    }

    static void gz(Path p, byte[] data) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(p))) {
            o.write(data);
        }
    }

    @Test
    void readsGzippedPairs() throws IOException {
        gz(tmp.resolve("t10k-images-idx3-ubyte.gz"), idx(0x803, new int[] {3, 2, 2}, 12));
        gz(tmp.resolve("t10k-labels-idx1-ubyte.gz"), idx(0x801, new int[] {3}, 3));
        IdxDataset d = IdxDataset.read(tmp, "t10k");
        assertEquals(3, d.count());
        assertEquals(2, d.rows());
        assertEquals(7, d.label(1));
        assertEquals((7 * 7) & 0xff, d.pixel(1, 1, 1));
    }

    @Test
    void wrongMagicCountsAndTruncationAreClearErrors() throws IOException {
        Path img = tmp.resolve("i"), lab = tmp.resolve("l");
        Files.write(lab, idx(0x801, new int[] {3}, 3));
        Files.write(img, idx(0x801, new int[] {3, 2, 2}, 12));
        assertTrue(assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage().contains("magic"));
        Files.write(img, idx(0x803, new int[] {4, 2, 2}, 16));
        assertTrue(assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage().contains("4 images but"));
        Files.write(img, idx(0x803, new int[] {3, 2, 2}, 5));
        assertTrue(assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage().contains("truncated"));
        Files.write(lab, idx(0x801, new int[] {Integer.MAX_VALUE}, 3)); // lying count: no 2 GB allocation
        assertTrue(assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage().contains("implausible"));
        assertThrows(VimException.class, () -> IdxDataset.read(tmp, "train"));
    }

    @Test
    void moreLyingHeadersAreClearErrorsNamingTheFile() throws IOException {
        Path img = tmp.resolve("img"), lab = tmp.resolve("lab");
        Files.write(img, idx(0x803, new int[] {2, 2, 2}, 8));
        Files.write(lab, idx(0x803, new int[] {2}, 2)); // an image magic on the label file
        String msg = assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage();
        assertTrue(msg.contains(lab.toString()) && msg.contains("magic 0x803") && msg.contains("expected 0x00000801"), msg);
        Files.write(lab, idx(0x801, new int[] {-5}, 0));
        msg = assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage();
        assertTrue(msg.contains("implausible label count -5"), msg);
        Files.write(lab, idx(0x801, new int[] {2}, 2));
        Files.write(img, idx(0x803, new int[] {2, 0, 2}, 0));
        msg = assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage();
        assertTrue(msg.contains(img.toString()) && msg.contains("implausible image size 2x0x2"), msg);
        Files.write(img, idx(0x803, new int[] {2, 65536, 65536}, 0)); // 8 GiB claimed by a 16-byte file
        msg = assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage();
        assertTrue(msg.contains("implausible image size 2x65536x65536"), msg);
        Files.write(img, idx(0x803, new int[] {2}, 0)); // header cut after the count
        msg = assertThrows(VimException.class, () -> IdxDataset.read(img, lab)).getMessage();
        assertTrue(msg.contains(img.toString()), msg);
        Path gz = tmp.resolve("t-images-idx3-ubyte.gz");
        Files.write(gz, new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3}); // a gzip header, then garbage
        msg = assertThrows(VimException.class, () -> IdxDataset.read(gz, lab)).getMessage();
        assertTrue(msg.contains(gz.toString()), msg);
    }
}
