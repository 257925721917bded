package org.vim4j.io.pickle;

import java.util.List;

import org.vim4j.VimException;

/**
 * An immutable Python tuple. Unlike {@link List#equals}, equality and hashing never recurse
 * unboundedly: a tuple's nesting depth is fixed when it is built (its items exist before it does,
 * so tuples cannot form cycles) and is capped, and the hash is computed once from the items'
 * cached hashes. That makes tuples safe as dict keys even when a hostile pickle nests them.
 */
public final class PickleTuple {
    /** Far deeper than real data; bounds recursion in {@link #equals}. */
    static final int MAX_DEPTH = 100;

    private final List<Object> items;
    private final int depth;
    private final int hash;

    PickleTuple(List<Object> items) {
        this.items = List.copyOf(items.stream().map(PickleTuple::boxNull).toList());
        int d = 0;
        int h = 1;
        for (Object o : items) {
            if (o instanceof PickleTuple t) {
                d = Math.max(d, t.depth);
            }
            h = 31 * h + (o == null || o instanceof List<?> || o instanceof java.util.Map<?, ?> ? 0 : o.hashCode());
        }
        if (d + 1 > MAX_DEPTH) {
            throw new VimException("tuples nested deeper than " + MAX_DEPTH);
        }
        this.depth = d + 1;
        this.hash = h;
    }

    static PickleTuple of(Object... items) {
        return new PickleTuple(java.util.Arrays.asList(items));
    }

    /** List.copyOf rejects nulls; Python's None is kept as a marker and handed back as null. */
    private static Object boxNull(Object o) {
        return o == null ? NullItem.INSTANCE : o;
    }

    private enum NullItem { INSTANCE }

    public int size() {
        return items.size();
    }

    /** Item {@code i}; Python's None comes back as {@code null}. */
    public Object get(int i) {
        Object o = items.get(i);
        return o == NullItem.INSTANCE ? null : o;
    }

    /**
     * Whether this tuple may be a dict key: only immutable, hashable items (Python rejects lists,
     * dicts and sets inside a key tuple, and vim4j never hashes mutable containers).
     */
    boolean hashable() {
        for (Object o : items) {
            if (!PickleValues.isHashable(o == NullItem.INSTANCE ? null : o)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PickleTuple t && t.hash == hash && t.items.equals(items);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "tuple(" + items.size() + ")";
    }
}
