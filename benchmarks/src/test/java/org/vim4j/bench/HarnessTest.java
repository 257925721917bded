package org.vim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smoke test of the harness plumbing (no benchmark runs here): the measuring loop's run counts and order statistics,
 * the CSV round trip the chart reads, and the chart itself, headless.
 */
class HarnessTest {
    /** A workload whose run takes a known, growing amount of busy time and allocates nothing. */
    private static final class FakeWorkload implements Workload {
        int runs;

        @Override public String model() { return "vim-fake"; }
        @Override public String backend() { return "vector"; }
        @Override public String attention() { return "-"; }
        @Override public int resolution() { return 224; }
        @Override public int tokens() { return 197; }
        @Override public int batch() { return 2; }
        @Override public int threads() { return 1; }
        @Override public long macs() { return 1_000_000_000L; }
        @Override public long weightBytes() { return 100; }
        @Override public long workspaceBytes() { return 23; }
        @Override public void close() { }

        @Override
        public void run() {
            runs++;
            long end = System.nanoTime() + 200_000L * Math.min(runs, 10);
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void measuresAtLeastMinRunsAfterOneWarmupRun() {
        FakeWorkload w = new FakeWorkload();
        Measurement m = Measurement.of(w, 0, 7, 50, 0);
        assertEquals(7, m.runs(), "no time target: exactly the minimum runs");
        assertEquals(8, w.runs, "plus one untimed warm-up run");
        assertTrue(m.minMs() <= m.p50Ms() && m.p50Ms() <= m.p99Ms(), m.toString());
        assertTrue(m.p50Ms() >= 0.2, "each run spins at least 0.2 ms: " + m);
        assertEquals(2 * 1000.0 / m.meanMs(), m.imagesPerSecond(2), 1e-9);
        assertTrue(m.heapBytesPerInference() < 1024, "the loop itself allocates nothing: " + m.heapBytesPerInference());
        Measurement capped = Measurement.of(new FakeWorkload(), 0, 1, 4, 60);
        assertEquals(4, capped.runs(), "maxRuns caps a long time target");
    }

    @Test
    void csvRoundTripKeepsEveryField(@TempDir Path dir) throws Exception {
        ResultRow row = ResultRow.of(new FakeWorkload(), new Measurement(1.5, 2.5, 1.75, 1.25, 9, 16), 12345);
        assertEquals(123, row.offHeapBytes());
        assertEquals(2 * 1.0 / 1.5e-3, row.gflopsPerSecond(), 1e-6);
        Path csv = dir.resolve("r.csv");
        Files.writeString(csv, ResultRow.HEADER + "\n" + row.csv() + "\n");
        ResultRow back = ResultRow.read(csv).get(0);
        assertEquals(row.csv(), back.csv());
        assertTrue(row.json().contains("\"model\":\"vim-fake\"") && row.json().contains("\"offheap_bytes\":123"), row.json());
    }

    @Test
    void chartIsAPngOfFourPanels(@TempDir Path dir) throws Exception {
        List<ResultRow> rows = new ArrayList<>();
        for (int r : new int[] {224, 512, 1024}) {
            long l = (r / 16) * (r / 16) + 1L;
            rows.add(new ResultRow("vim-tiny", "vector", "-", r, (int) l, 1, 2, l / 10.0, l / 9.0, l / 10.0, 1e4 / l, 3, 28_000_000,
                    l * 14_000, 0, 1, -1));
            rows.add(new ResultRow("deit-tiny", "vector", "full", r, (int) l, 1, 2, l * l / 2000.0, 1, 1, 1, 3, 23_000_000, l * l * 12,
                    0, 1, -1));
        }
        Path png = dir.resolve("sweep.png");
        SweepChart.write(rows, png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(1280, img.getWidth());
        assertEquals(840, img.getHeight());
        assertTrue(Files.size(png) < 200_000, "small enough to commit: " + Files.size(png));
    }
}
