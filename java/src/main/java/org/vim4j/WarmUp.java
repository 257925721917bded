package org.vim4j;

/**
 * What {@link VimModel#load} runs before it returns, so that the first inferences do not pay one-time costs
 * (README "Cold start"). Chosen by {@link VimOptions#withWarmUp}, else {@code -Dvim4j.warmup}, else {@link #QUICK}.
 */
public enum WarmUp {
    /** Nothing: the first inference pays every one-time cost itself. */
    NONE,
    /**
     * One forward of a 2x2-patch zero image, on the backends whose first call of each kernel costs far more than its
     * later ones for reasons one call pays (the native backend: linking each downcall, its first thread dispatch).
     * Milliseconds; the default, right for a one-shot command.
     */
    QUICK,
    /**
     * Forwards at the model's own resolution until the model runs at steady state: until the JIT has compiled what
     * the inferences call (no compilation finished during the last forwards, and their times near the best seen), or
     * {@link #STEADY_BUDGET_SECONDS} have passed. For a service: a new JVM's first requests then run near steady
     * state instead of sharing the cores with the JIT compiler (the native backend: about half a second more at load;
     * the vector backend, which is slow until C2 has compiled its kernels: several seconds).
     */
    STEADY;

    /** The cap on a {@link #STEADY} warm-up, for a machine so busy that the forwards never settle. */
    public static final int STEADY_BUDGET_SECONDS = 20;

    /** The system property naming the default warm-up: none, quick or steady. */
    public static final String PROPERTY = "vim4j.warmup";

    /** The mode's name in properties and on the command line: none, quick, steady. */
    public String label() {
        return EnumLabels.label(this);
    }

    /** Parses none, quick or steady (any case), naming what it expected otherwise. */
    public static WarmUp parse(String s) {
        return EnumLabels.parse(values(), s, "warm-up");
    }
}
