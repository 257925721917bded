package org.vim4j.model;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Decides when warm-up forwards have brought a model to steady state (the {@code STEADY} warm-up, README "Cold
 * start"): the JIT has finished compiling what a forward calls, and forwards run as fast as they are going to.
 *
 * <p>Forwards are judged in windows of at least {@link #WINDOW_NANOS} (one slow forward, or hundreds of a tiny model's,
 * whose single times jitter by more than any threshold). A window is quiet when no JIT compilation finished during it
 * and its mean forward is within {@link #NEAR_BEST} of the best window mean so far; {@link #QUIET_WINDOWS} quiet windows
 * in a row are steady. Why both signals: on a machine with as many kernel threads as cores, a forward that shares the
 * cores with a JIT compiler thread takes up to twice as long, the spike a new JVM's first requests see; the JVM's total
 * compilation time only moves when a compilation finishes, so one long compilation still running is caught by the
 * times it slows. Bounded by a deadline and a count, for a machine too busy to ever settle.
 */
public final class SteadyState {
    /** The least time a window spans. */
    static final long WINDOW_NANOS = 50_000_000L;
    /** Quiet windows in a row that count as steady. */
    static final int QUIET_WINDOWS = 3;
    /** A quiet window's mean forward is at most this much slower than the best window's. */
    static final double NEAR_BEST = 1.25;

    private final LongSupplier compileMillis;
    private final long deadline;
    private final int maxForwards;
    private int forwards;
    private int windows;
    private int quietWindows;
    private long windowNanos;
    private int windowForwards;
    private long windowCompile;
    private double bestMean = Double.MAX_VALUE;
    private long bestForward = Long.MAX_VALUE;

    /**
     * @param compileMillis the JVM's total compilation time so far, or a constant where it is not monitored
     * @param startNanos    {@link System#nanoTime()} when the warm-up began
     * @param budgetNanos   the most time the warm-up may take
     * @param maxForwards   the most forwards it may run
     */
    SteadyState(LongSupplier compileMillis, long startNanos, long budgetNanos, int maxForwards) {
        this.compileMillis = compileMillis;
        this.deadline = startNanos + budgetNanos;
        this.maxForwards = maxForwards;
        this.windowCompile = compileMillis.getAsLong();
    }

    /** A probe watching this JVM's JIT (through its management bean, where the JVM monitors compilation time). */
    public static SteadyState ofThisJvm(long budgetNanos, int maxForwards) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        LongSupplier compile = jit != null && jit.isCompilationTimeMonitoringSupported()
                ? jit::getTotalCompilationTime : () -> 0L;
        return new SteadyState(compile, System.nanoTime(), budgetNanos, maxForwards);
    }

    /** A probe that stops after one forward (the {@code QUICK} warm-up), without reading the JIT's counters. */
    public static SteadyState oneForward() {
        return new SteadyState(() -> 0L, System.nanoTime(), Long.MAX_VALUE / 2, 1);
    }

    /**
     * Records one forward that took {@code nanos} and ended at {@code nowNanos}; answers whether to stop: steady, out
     * of time, or out of forwards.
     */
    public boolean recordAndStop(long nanos, long nowNanos) {
        forwards++;
        bestForward = Math.min(bestForward, nanos);
        windowNanos += nanos;
        windowForwards++;
        if (windowNanos >= WINDOW_NANOS) {
            closeWindow();
        }
        return steady() || nowNanos - deadline >= 0 || forwards >= maxForwards;
    }

    private void closeWindow() {
        long compile = compileMillis.getAsLong();
        boolean compiled = compile != windowCompile;
        double mean = (double) windowNanos / windowForwards;
        bestMean = Math.min(bestMean, mean);
        windows++;
        // the first window holds the cold first forward: never quiet
        quietWindows = windows > 1 && !compiled && mean <= NEAR_BEST * bestMean ? quietWindows + 1 : 0;
        windowCompile = compile;
        windowNanos = 0;
        windowForwards = 0;
    }

    /** Whether the last windows were steady (false when the warm-up stopped on its deadline or count). */
    public boolean steady() {
        return quietWindows >= QUIET_WINDOWS;
    }

    public int forwards() {
        return forwards;
    }

    /** The fastest forward seen, in nanoseconds. */
    public long bestNanos() {
        return bestForward;
    }
}
