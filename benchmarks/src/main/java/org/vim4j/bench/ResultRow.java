package org.vim4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One measured point, as a CSV line (the sweep's file, the chart's input) or a JSON object. */
record ResultRow(String model, String backend, String attention, int resolution, int tokens, int batch, int threads,
        double p50Ms, double p99Ms, double meanMs, double imagesPerSecond, int runs, long weightBytes, long workspaceBytes,
        long heapBytesPerInference, double gmacs, long peakRssBytes) {

    static final String HEADER = "model,backend,attention,resolution,tokens,batch,threads,p50_ms,p99_ms,mean_ms,images_per_s,runs,"
            + "weights_bytes,workspace_bytes,offheap_bytes,heap_bytes_per_inference,gmacs,gflops_per_s,peak_rss_bytes";

    static ResultRow of(Workload w, Measurement m, long peakRss) {
        return new ResultRow(w.model(), w.backend(), w.attention(), w.resolution(), w.tokens(), w.batch(), w.threads(), m.p50Ms(),
                m.p99Ms(), m.meanMs(), m.imagesPerSecond(w.batch()), m.runs(), w.weightBytes(), w.workspaceBytes(),
                m.heapBytesPerInference(), w.macs() / 1e9, peakRss);
    }

    /** Weights plus activations: the off-heap peak of an inference (what the paper's GPU-memory figure counts). */
    long offHeapBytes() {
        return weightBytes + workspaceBytes;
    }

    /** Achieved GFLOP/s (2 flops per multiply-add) at the median latency. */
    double gflopsPerSecond() {
        return 2 * gmacs / (p50Ms / 1e3);
    }

    String csv() {
        return String.format(Locale.ROOT, "%s,%s,%s,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%d,%d,%d,%d,%d,%.4f,%.2f,%d", model, backend,
                attention, resolution, tokens, batch, threads, p50Ms, p99Ms, meanMs, imagesPerSecond, runs, weightBytes,
                workspaceBytes, offHeapBytes(), heapBytesPerInference, gmacs, gflopsPerSecond(), peakRssBytes);
    }

    String json() {
        String[] k = HEADER.split(",");
        String[] v = csv().split(",");
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < k.length; i++) {
            boolean text = i < 3;
            sb.append(i == 0 ? "" : ",").append('"').append(k[i]).append("\":").append(text ? "\"" + v[i] + "\"" : v[i]);
        }
        return sb.append('}').toString();
    }

    static List<ResultRow> read(Path csv) throws IOException {
        List<ResultRow> rows = new ArrayList<>();
        for (String line : Files.readAllLines(csv)) {
            if (line.isBlank() || line.startsWith("model,")) {
                continue;
            }
            String[] f = line.split(",");
            rows.add(new ResultRow(f[0], f[1], f[2], Integer.parseInt(f[3]), Integer.parseInt(f[4]), Integer.parseInt(f[5]),
                    Integer.parseInt(f[6]), Double.parseDouble(f[7]), Double.parseDouble(f[8]), Double.parseDouble(f[9]),
                    Double.parseDouble(f[10]), Integer.parseInt(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]),
                    Long.parseLong(f[15]), Double.parseDouble(f[16]), Long.parseLong(f[18])));
        }
        return rows;
    }
}
