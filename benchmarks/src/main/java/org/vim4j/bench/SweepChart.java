package org.vim4j.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import javax.imageio.ImageIO;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The sweep as a PNG shaped like the paper's Figure 1 (batch 1): (a) images/s and (b) peak off-heap memory of Vim and
 * DeiT per resolution, then the two headline quantities per backend, (c) how many times faster Vim is than DeiT with
 * full attention and (d) how much less memory it needs, in percent. Rendered headless.
 */
final class SweepChart {
    private static final int W = 640, H = 420;

    private SweepChart() {
    }

    static void write(List<ResultRow> rows, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<ResultRow> b1 = rows.stream().filter(r -> r.batch() == 1).toList();
        String vim = b1.stream().map(ResultRow::model).filter(m -> m.startsWith("vim")).findFirst().orElse("vim");
        String deit = b1.stream().map(ResultRow::model).filter(m -> m.startsWith("deit")).findFirst().orElse("deit");
        List<String> backends = b1.stream().map(ResultRow::backend).distinct().toList();
        // Panels (a) and (b) show the fastest backend present (native if measured), so the curves stay readable.
        String main = backends.contains("native") ? "native" : backends.isEmpty() ? "" : backends.get(backends.size() - 1);

        XYChart fps = chart("(a) throughput, " + main + " backend, batch 1", "images/s (log)");
        fps.getStyler().setYAxisLogarithmic(true);
        XYChart mem = chart("(b) peak off-heap memory (weights + activations)", "MiB (log)");
        mem.getStyler().setYAxisLogarithmic(true);
        for (String[] s : List.of(new String[] {vim, "-"}, new String[] {deit, "full"}, new String[] {deit, "tiled"})) {
            Map<Integer, ResultRow> byRes = series(b1, s[0], s[1], main);
            if (byRes.isEmpty()) {
                continue;
            }
            String name = s[0] + (s[1].equals("-") ? "" : " (" + s[1] + " attention)");
            fps.addSeries(name, xs(byRes), byRes.values().stream().map(ResultRow::imagesPerSecond).toList());
            mem.addSeries(name, xs(byRes), byRes.values().stream().map(r -> r.offHeapBytes() / 1048576.0).toList());
        }
        XYChart speed = chart("(c) speed-up: DeiT (full) latency / Vim latency", "x");
        XYChart saving = chart("(d) memory saving: 1 - Vim / DeiT (full)", "%");
        for (String b : backends) {
            Map<Integer, ResultRow> v = series(b1, vim, "-", b), d = series(b1, deit, "full", b);
            List<Integer> x = new ArrayList<>();
            List<Double> sp = new ArrayList<>(), sv = new ArrayList<>();
            for (Map.Entry<Integer, ResultRow> e : v.entrySet()) {
                Optional.ofNullable(d.get(e.getKey())).ifPresent(dr -> {
                    x.add(e.getKey());
                    sp.add(dr.p50Ms() / e.getValue().p50Ms());
                    sv.add(100 * (1 - (double) e.getValue().offHeapBytes() / dr.offHeapBytes()));
                });
            }
            if (!x.isEmpty()) {
                speed.addSeries(b, x, sp);
                saving.addSeries(b, x, sv);
            }
        }
        addLine(speed, "paper: 2.8x at 1248", 2.8, b1);
        addLine(saving, "paper: 86.8% at 1248", 86.8, b1);

        BufferedImage out = new BufferedImage(2 * W, 2 * H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 2 * W, 2 * H);
        XYChart[] panels = {fps, mem, speed, saving};
        for (int i = 0; i < panels.length; i++) {
            if (panels[i].getSeriesMap().isEmpty()) {
                continue;
            }
            g.drawImage(BitmapEncoder.getBufferedImage(panels[i]), (i % 2) * W, (i / 2) * H, null);
        }
        g.dispose();
        ImageIO.write(out, "png", png.toFile());
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle("resolution (pixels per side)").yAxisTitle(yTitle)
                .build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setMarkerSize(6);
        return c;
    }

    private static void addLine(XYChart c, String name, double y, List<ResultRow> rows) {
        if (c.getSeriesMap().isEmpty()) {
            return;
        }
        int lo = rows.stream().mapToInt(ResultRow::resolution).min().orElse(224);
        int hi = rows.stream().mapToInt(ResultRow::resolution).max().orElse(1248);
        c.addSeries(name, List.of(lo, hi), List.of(y, y)).setLineColor(Color.GRAY);
    }

    private static Map<Integer, ResultRow> series(List<ResultRow> rows, String model, String attention, String backend) {
        Map<Integer, ResultRow> m = new TreeMap<>();
        for (ResultRow r : rows) {
            if (r.model().equals(model) && r.attention().equals(attention) && r.backend().equals(backend)) {
                m.put(r.resolution(), r);
            }
        }
        return m;
    }

    private static List<Integer> xs(Map<Integer, ResultRow> m) {
        return new ArrayList<>(m.keySet());
    }
}
