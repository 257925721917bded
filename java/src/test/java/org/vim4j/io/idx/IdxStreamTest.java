package org.vim4j.io.idx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;

/** Streaming IDX pairs: one image in memory at a time, lying headers and early ends named. */
class IdxStreamTest {
    @TempDir
    Path tmp;

    @Test
    void streamsExamplesInOrder() throws IOException {
        IdxDatasetTest.gz(tmp.resolve("t10k-images-idx3-ubyte.gz"), IdxDatasetTest.idx(0x803, new int[] {3, 2, 2}, 12));
        IdxDatasetTest.gz(tmp.resolve("t10k-labels-idx1-ubyte.gz"), IdxDatasetTest.idx(0x801, new int[] {3}, 3));
        IdxDataset all = IdxDataset.read(tmp, "t10k");
        try (IdxStream s = IdxStream.open(tmp, "t10k")) {
            assertEquals(3, s.count());
            byte[] px = new byte[4];
            for (int i = 0; i < 3; i++) {
                assertEquals(all.label(i), s.next(px));
                assertEquals(all.pixel(i, 1, 1), px[3] & 0xff);
            }
            assertTrue(assertThrows(VimException.class, () -> s.next(px)).getMessage().contains("all 3 images were read"));
        }
    }

    /** A header claiming ten million images costs nothing until they are read, and an early end is named. */
    @Test
    void lyingCountsCostOnlyWhatIsRead() throws IOException {
        IdxDatasetTest.gz(tmp.resolve("i.gz"), IdxDatasetTest.idx(0x803, new int[] {10_000_000, 28, 28}, 5 * 784));
        IdxDatasetTest.gz(tmp.resolve("l.gz"), IdxDatasetTest.idx(0x801, new int[] {10_000_000}, 5));
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long a0 = mx.getCurrentThreadAllocatedBytes();
        try (IdxStream s = IdxStream.open(tmp.resolve("i.gz"), tmp.resolve("l.gz"))) {
            assertEquals(10_000_000, s.count());
            byte[] px = new byte[784];
            for (int i = 0; i < 5; i++) {
                s.next(px);
            }
            String msg = assertThrows(VimException.class, () -> s.next(px)).getMessage();
            assertTrue(msg.contains("l.gz: truncated IDX file: it ends at label 5 of 10000000"), msg);
        }
        assertTrue(mx.getCurrentThreadAllocatedBytes() - a0 < 4 << 20, "allocated " + (mx.getCurrentThreadAllocatedBytes() - a0));
    }

    @Test
    void badHeadersAreNamed() throws IOException {
        Files.write(tmp.resolve("i"), IdxDatasetTest.idx(0x803, new int[] {1, 1 << 13, 1 << 13}, 0));
        Files.write(tmp.resolve("l"), IdxDatasetTest.idx(0x801, new int[] {1}, 1));
        String msg = assertThrows(VimException.class, () -> IdxStream.open(tmp.resolve("i"), tmp.resolve("l"))).getMessage();
        assertTrue(msg.contains("implausible image size 8192x8192"), msg);
        Files.write(tmp.resolve("short"), new byte[] {0, 0, 8});
        msg = assertThrows(VimException.class, () -> IdxStream.open(tmp.resolve("i"), tmp.resolve("short"))).getMessage();
        assertTrue(msg.contains("short: truncated IDX header"), msg);
        Files.write(tmp.resolve("i2"), IdxDatasetTest.idx(0x803, new int[] {2, 2, 2}, 8));
        msg = assertThrows(VimException.class, () -> IdxStream.open(tmp.resolve("i2"), tmp.resolve("l"))).getMessage();
        assertTrue(msg.contains("2 images but l has 1 labels"), msg);
    }
}
