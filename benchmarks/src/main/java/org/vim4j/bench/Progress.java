package org.vim4j.bench;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long run on stderr (stdout stays machine-readable): step i of n, what is running, elapsed time and a
 * remaining-time estimate weighted by each step's expected cost (a 1248x1248 DeiT point takes far longer than 224).
 */
final class Progress {
    private final PrintStream err = System.err;
    private final double totalWeight;
    private final long start = System.nanoTime();
    private double doneWeight;
    private int step;
    private final int steps;

    Progress(int steps, double totalWeight) {
        this.steps = steps;
        this.totalWeight = totalWeight;
    }

    void begin(String what) {
        step++;
        double secs = (System.nanoTime() - start) / 1e9;
        String eta = doneWeight > 0 ? String.format(Locale.ROOT, ", ~%.0f s left", secs / doneWeight * (totalWeight - doneWeight)) : "";
        err.printf(Locale.ROOT, "[%d/%d %3.0f%% %5.0f s%s] %s%n", step, steps, 100 * doneWeight / totalWeight, secs, eta, what);
    }

    void end(double weight) {
        doneWeight += weight;
    }
}
