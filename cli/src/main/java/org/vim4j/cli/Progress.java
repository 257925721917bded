package org.vim4j.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress line on stderr for long jobs: rewritten in place on a terminal, a line per ~10% otherwise
 * (so logs stay readable). Silent when disabled (e.g. with --json piped to another program it still goes to
 * stderr, which keeps stdout machine-readable).
 */
final class Progress {
    private final PrintStream err = System.err;
    private final String what;
    private final long total;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private long lastPrint;
    private int lastDecile = -1;

    Progress(String what, long total) {
        this.what = what;
        this.total = total;
    }

    void update(long done, String detail) {
        long now = System.nanoTime();
        double secs = (now - start) / 1e9;
        String eta = done > 0 && done < total ? String.format(Locale.ROOT, ", ~%.0f s left", secs / done * (total - done)) : "";
        String line = String.format(Locale.ROOT, "%s %d/%d (%.0f%%)%s%s", what, done, total, 100.0 * done / total,
                detail == null || detail.isEmpty() ? "" : "  " + detail, eta);
        if (tty) {
            if (now - lastPrint > 100_000_000L || done == total) {
                err.print("\r" + line + "\u001b[K");
                if (done == total) {
                    err.println();
                }
                lastPrint = now;
            }
        } else {
            int decile = (int) (10 * done / total);
            if (decile != lastDecile) {
                err.println(line);
                lastDecile = decile;
            }
        }
    }
}
