package org.vim4j.io.pickle;

import java.util.Locale;
import java.util.function.Function;

import org.vim4j.VimException;

/**
 * What one pickle may cost to parse: <b>work</b> (opcodes plus every item that a bulk operation touches: marked
 * items moved, containers copied by allow-listed calls, key comparisons), <b>memory</b> (bytes materialised,
 * counted cumulatively and across copies: strings and bytes, numbers, container slots and dict entries, memo
 * entries, and every copy that {@code set(list)}, {@code bytearray(bytes)}, {@code _codecs.encode(str)},
 * {@code OrderedDict(pairs)} or a BUILD makes of a memoised value), plus <b>depth</b> and <b>container size</b>
 * bounds. Exceeding one is a {@link VimException} that names the budget and the opcode's offset.
 *
 * <p>Budgets are decided from the bytes the pickle occupies in its file (for a deflated {@code data.pkl}, its
 * compressed size): {@value #BASE_WORK} steps plus {@value #WORK_PER_BYTE} per byte, and 64 MiB plus
 * {@value #MEMORY_PER_BYTE} bytes per byte. A pickle that {@code torch.save} writes uses a small fraction of
 * either (see README, "Reliability and security"), so the budgets cost a legitimate checkpoint nothing, while a
 * hostile pickle's cost stays proportional to its size whatever it asks for. {@code -Dvim4j.pickle.maxWork} and
 * {@code -Dvim4j.pickle.maxMemory} replace the computed budgets (for an unusual but trusted file).
 *
 * <p>Counting is approximate by design (estimated object sizes, not a heap walk) but conservative: a cumulative
 * count never lets a pickle allocate and drop its way past the bound.
 */
public final class PickleBudget {
    /** Steps every pickle may take whatever its size. */
    public static final long BASE_WORK = 4_000_000;
    /** Steps per byte of pickle. */
    public static final long WORK_PER_BYTE = 32;
    /** Bytes every pickle may materialise whatever its size. */
    public static final long BASE_MEMORY = 64L << 20;
    /** Bytes materialised per byte of pickle. */
    public static final long MEMORY_PER_BYTE = 32;
    /** Items in one list, dict, set or tuple. */
    public static final int MAX_CONTAINER_ITEMS = 1 << 24;
    /** Open MARKs, i.e. how deeply MARK-delimited containers may nest while being built. */
    public static final int MAX_MARK_DEPTH = 10_000;
    /** Nesting of tuples (whose depth is fixed when they are built). */
    public static final int MAX_TUPLE_DEPTH = 100;

    static final String WORK_PROPERTY = "vim4j.pickle.maxWork";
    static final String MEMORY_PROPERTY = "vim4j.pickle.maxMemory";

    private final long maxWork;
    private final long maxMemory;
    private final String basis;
    private long work;
    private long memory;
    private boolean open = true;
    private Function<String, VimException> refusal = VimException::new;

    /**
     * @param maxWork the most steps
     * @param maxMemory the most bytes materialised
     * @param basis how the budgets were decided, for messages (e.g. "for a 1,234-byte pickle")
     */
    public PickleBudget(long maxWork, long maxMemory, String basis) {
        if (maxWork < 0 || maxMemory < 0) {
            throw new IllegalArgumentException("budgets must be non-negative");
        }
        this.maxWork = maxWork;
        this.maxMemory = maxMemory;
        this.basis = basis;
    }

    /** The budgets of a pickle occupying {@code inputBytes} bytes of its file. */
    public static PickleBudget forInput(long inputBytes) {
        long bytes = Math.max(0, inputBytes);
        long work = override(WORK_PROPERTY, saturatedAdd(BASE_WORK, saturatedMultiply(WORK_PER_BYTE, bytes)));
        long memory = override(MEMORY_PROPERTY, saturatedAdd(BASE_MEMORY, saturatedMultiply(MEMORY_PER_BYTE, bytes)));
        return new PickleBudget(work, memory, String.format(Locale.ROOT, "for a %,d-byte pickle", bytes));
    }

    private static long override(String property, long computed) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return computed;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new VimException("-D" + property + "=" + v + ": expected a non-negative number of "
                + (property.equals(WORK_PROPERTY) ? "steps" : "bytes"));
    }

    static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    static long saturatedMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }

    /** How refusals are worded (the unpickler prefixes the file, the pickle and the offset). */
    void refuseWith(Function<String, VimException> refusal) {
        this.refusal = refusal;
    }

    /** After the parse, lookups in the dicts it built are the caller's own work: nothing more is counted. */
    void close() {
        open = false;
    }

    /** Counts {@code steps} of work. */
    void work(long steps) {
        if (!open) {
            return;
        }
        work = saturatedAdd(work, steps);
        if (work > maxWork) {
            throw refusal.apply(String.format(Locale.ROOT, "exceeds its work budget of %,d steps (%s; -D%s raises it)",
                    maxWork, basis, WORK_PROPERTY));
        }
    }

    /** Counts {@code bytes} materialised for {@code what} (e.g. "a dict entry"). */
    void memory(long bytes, String what) {
        memory(bytes, what, 0);
    }

    /**
     * Counts {@code bytes} materialised for {@code what}, a template whose {@code %d} is {@code n} (formatted only
     * for a refusal: this runs for every value a pickle builds).
     */
    void memory(long bytes, String what, long n) {
        if (!open) {
            return;
        }
        long total = saturatedAdd(memory, bytes);
        if (total > maxMemory) {
            throw refusal.apply(String.format(Locale.ROOT,
                    "exceeds its memory budget: %s would bring the bytes materialised to %,d, over the budget of %,d (%s; -D%s raises it)",
                    String.format(Locale.ROOT, what, n), total, maxMemory, basis, MEMORY_PROPERTY));
        }
        memory = total;
    }

    /**
     * Counts {@code bytes} materialised outside the VM for this pickle (the inflated copy of a deflated
     * {@code data.pkl}), refusing with {@code refusal}'s wording when they do not fit.
     */
    public void charge(long bytes, String what, Function<String, VimException> refusal) {
        long total = saturatedAdd(memory, bytes);
        if (bytes < 0 || total > maxMemory) {
            throw refusal.apply(String.format(Locale.ROOT, "%s needs %,d bytes, over the pickle's memory budget of %,d (%s; -D%s raises it)",
                    what, bytes, maxMemory, basis, MEMORY_PROPERTY));
        }
        memory = total;
    }

    /** Checks that a container may grow to {@code items} items. */
    void items(long items, String what) {
        if (items > MAX_CONTAINER_ITEMS) {
            throw refusal.apply(String.format(Locale.ROOT, "exceeds its container budget: %s would hold %,d items, over the limit of %,d",
                    what, items, MAX_CONTAINER_ITEMS));
        }
    }

    public long maxWork() {
        return maxWork;
    }

    public long maxMemory() {
        return maxMemory;
    }

    /** Steps counted so far. */
    public long workUsed() {
        return work;
    }

    /** Bytes counted so far. */
    public long memoryUsed() {
        return memory;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "work %,d of %,d steps, memory %,d of %,d bytes (%s)", work, maxWork, memory,
                maxMemory, basis);
    }
}
