package org.vim4j.io.pickle;

import java.util.Arrays;
import java.util.List;

import org.vim4j.VimException;

/**
 * An immutable Python tuple. Its structural properties are fixed when it is built, from its items' own cached
 * properties, so nothing ever re-walks a tuple: its <b>depth</b> (capped: tuples cannot form cycles, since their
 * items exist before they do), whether it is <b>hashable</b> (only immutable, hashable items), and, for a hashable
 * tuple built by {@link RestrictedUnpickler}, its <b>canonical identity</b>: the VM interns hashable tuples, so two
 * equal tuples of one pickle are one object, however much structure they share. Dict keys are then ordered
 * without hashing (see {@link PickleKeys}): a pickle cannot choose colliding hashes, and a tuple DAG whose
 * expansion is exponential costs one comparison per item of one level.
 *
 * <p>{@link #equals} and {@link #hashCode} are structural for hashable tuples, for callers outside the VM (the hash
 * is computed lazily, once); within one pickle, equal tuples are identical, so equality stops at the first level. A
 * tuple holding a list, dict or set equals only itself (comparing mutable, possibly cyclic, containers is never
 * needed).
 */
public final class PickleTuple {
    /** Far deeper than real data. */
    static final int MAX_DEPTH = PickleBudget.MAX_TUPLE_DEPTH;

    private final Object[] items;
    private final int depth;
    private final boolean hashable;
    /** The interning table that made this tuple canonical, or null (built outside the VM, or not hashable). */
    PickleKeys owner;
    /** Creation order among {@link #owner}'s canonical tuples; -1 if not canonical. */
    long id = -1;
    private int hash;
    private boolean hashed;

    PickleTuple(List<Object> items) {
        this.items = new Object[items.size()];
        int d = 0;
        boolean h = true;
        for (int i = 0; i < this.items.length; i++) {
            Object o = items.get(i);
            this.items[i] = o;
            if (o instanceof PickleTuple t) {
                d = Math.max(d, t.depth);
            }
            h &= PickleValues.isHashable(o);
        }
        if (d + 1 > MAX_DEPTH) {
            throw new VimException("tuples nested deeper than " + MAX_DEPTH);
        }
        this.depth = d + 1;
        this.hashable = h;
    }

    static PickleTuple of(Object... items) {
        return new PickleTuple(Arrays.asList(items));
    }

    public int size() {
        return items.length;
    }

    /** Item {@code i}; Python's None is {@code null}. */
    public Object get(int i) {
        return items[i];
    }

    int depth() {
        return depth;
    }

    /**
     * Whether this tuple may be a dict key: only immutable, hashable items (Python rejects lists, dicts and sets
     * inside a key tuple, and vim4j never orders mutable containers). Cached: O(1).
     */
    boolean hashable() {
        return hashable;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof PickleTuple t) || t.items.length != items.length || !hashable || !t.hashable) {
            return false; // a tuple holding a mutable container is never a key: it equals only itself
        }
        if (owner != null && owner == t.owner && id >= 0 && t.id >= 0) {
            return false; // both canonical in one pickle: equal tuples would be one object
        }
        return hashCode() == t.hashCode() && Arrays.equals(items, t.items);
    }

    @Override
    public int hashCode() {
        if (!hashed) {
            int h = 1;
            for (Object o : items) {
                // Mutable containers hash by nothing (they are never keys); the rest by value.
                h = 31 * h + (o == null || o instanceof List<?> || o instanceof java.util.Map<?, ?> ? 0 : o.hashCode());
            }
            hash = h;
            hashed = true;
        }
        return hash;
    }

    @Override
    public String toString() {
        return "tuple(" + items.length + ")";
    }
}
