package org.vim4j.io.pickle;

import java.math.BigInteger;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * The total order on dict keys of one pickle, and the interning of its hashable tuples.
 *
 * <p>Dicts built by the VM ({@link PickleDict}) are ordered trees, not hash tables: Java's hashes of longs,
 * strings and tuples are easy to collide on purpose (50,000 tuple keys with one hash made a 1.3 MB checkpoint
 * take 211 s), and a tree's worst case is O(log n) comparisons whatever the keys. The order: None &lt; bool &lt;
 * int &lt; big int &lt; float &lt; str &lt; global &lt; tuple, each by value (floats by {@link Double#compare}, so
 * NaN is one key and -0.0 differs from 0.0, as {@link Double#equals} has it), and tuples by their canonical id.
 *
 * <p>Canonical ids make tuple comparison shallow: a hashable tuple is interned when it is built, its items being
 * canonical already, so two tuples are equal exactly when they are the same object, and interning compares one
 * level of items. Every comparison is charged to the pickle's work budget (a string comparison by its length).
 */
final class PickleKeys implements Comparator<Object> {
    private final PickleBudget budget;
    /** Canonical hashable tuples, ordered by their items (size first). */
    private final TreeMap<PickleTuple, PickleTuple> canonical = new TreeMap<>(this::compareItems);
    private long nextId;

    PickleKeys(PickleBudget budget) {
        this.budget = budget;
    }

    /**
     * {@code items} as a tuple: the canonical one if an equal hashable tuple was built before, else a new tuple
     * (made canonical if it is hashable).
     */
    PickleTuple tuple(List<Object> items) {
        PickleTuple t = new PickleTuple(items);
        budget.work(items.size());
        if (!t.hashable()) {
            budget.memory(16 + 8L * items.size(), "a tuple of %d", items.size());
            return t;
        }
        PickleTuple known = canonical.putIfAbsent(t, t); // ordered by items, so t needs no id yet
        if (known != null) {
            return known;
        }
        t.owner = this;
        t.id = nextId++;
        budget.memory(64 + 8L * items.size(), "a tuple of %d", items.size());
        return t;
    }

    /** Whether {@code k} may be looked up in or inserted into this pickle's dicts. */
    boolean isKey(Object k) {
        return k instanceof PickleTuple t ? t.owner == this : PickleValues.isHashable(k);
    }

    @Override
    public int compare(Object a, Object b) {
        budget.work(1);
        if (a == b) {
            return 0;
        }
        int ra = rank(a), rb = rank(b);
        if (ra != rb) {
            return Integer.compare(ra, rb);
        }
        return switch (a) {
            case Boolean x -> Boolean.compare(x, (Boolean) b);
            case Long x -> Long.compare(x, (Long) b);
            case BigInteger x -> {
                budget.work(x.bitLength() / 64);
                yield x.compareTo((BigInteger) b);
            }
            case Double x -> Double.compare(x, (Double) b);
            case String x -> {
                String y = (String) b;
                budget.work(Math.min(x.length(), y.length()) / 32);
                yield x.compareTo(y);
            }
            case PickleGlobal x -> {
                PickleGlobal y = (PickleGlobal) b;
                int c = x.module().compareTo(y.module());
                yield c != 0 ? c : x.name().compareTo(y.name());
            }
            case PickleTuple x -> Long.compare(x.id, ((PickleTuple) b).id);
            default -> throw new IllegalStateException("not a key: " + PickleValues.describe(a)); // isKey guards callers
        };
    }

    /** Tuples whose items are canonical: by size, then item by item. */
    private int compareItems(PickleTuple a, PickleTuple b) {
        int c = Integer.compare(a.size(), b.size());
        for (int i = 0; c == 0 && i < a.size(); i++) {
            c = compare(a.get(i), b.get(i));
        }
        return c;
    }

    private static int rank(Object o) {
        return switch (o) {
            case null -> 0;
            case Boolean b -> 1;
            case Long l -> 2;
            case BigInteger b -> 3;
            case Double d -> 4;
            case String s -> 5;
            case PickleGlobal g -> 6;
            case PickleTuple t -> 7;
            default -> 8;
        };
    }
}
