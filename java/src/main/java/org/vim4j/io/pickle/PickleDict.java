package org.vim4j.io.pickle;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Python dict (or OrderedDict) as the VM builds it: insertion order for iteration, and an ordered tree
 * ({@link PickleKeys}' total order) for lookups, so its worst case is O(log n) comparisons per operation whatever
 * keys a pickle chooses. Read-only to callers; keys of other types are simply absent.
 */
final class PickleDict extends AbstractMap<Object, Object> {
    private final PickleKeys keys;
    private final TreeMap<Object, Map.Entry<Object, Object>> index;
    private final List<Map.Entry<Object, Object>> order = new ArrayList<>();

    PickleDict(PickleKeys keys) {
        this.keys = keys;
        this.index = new TreeMap<>(keys);
    }

    /** Adds a key that must be new; false (and no change) if it is already present. */
    boolean putNew(Object key, Object value) {
        Map.Entry<Object, Object> e = new AbstractMap.SimpleImmutableEntry<>(key, value);
        if (index.putIfAbsent(key, e) != null) {
            return false;
        }
        order.add(e);
        return true;
    }

    boolean acceptsKey(Object key) {
        return keys.isKey(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return keys.isKey(key) && index.containsKey(key);
    }

    @Override
    public Object get(Object key) {
        if (!keys.isKey(key)) {
            return null;
        }
        Map.Entry<Object, Object> e = index.get(key);
        return e == null ? null : e.getValue();
    }

    @Override
    public int size() {
        return order.size();
    }

    @Override
    public Set<Map.Entry<Object, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<Object, Object>> iterator() {
                Iterator<Map.Entry<Object, Object>> it = order.iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Map.Entry<Object, Object> next() {
                        return it.next();
                    }
                };
            }

            @Override
            public int size() {
                return order.size();
            }
        };
    }

    /** Bounded, like {@link PickleValues#describe}: never walks the items (which may contain this dict). */
    @Override
    public String toString() {
        return "dict(" + order.size() + ")";
    }

    /** Identity: a dict is mutable and never a key; structural equality could recurse through cycles. */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
