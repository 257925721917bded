package org.vim4j.io.pickle;

import java.util.ArrayList;
import java.util.List;

/**
 * A Python set or frozenset, kept as a plain list of its items: vim4j only carries sets along as
 * inert data, so it neither hashes nor de-duplicates them (hashing hostile nested data is a
 * recursion risk for nothing).
 */
final class PickleSet {
    private final boolean frozen;
    private final List<Object> items = new ArrayList<>();

    PickleSet(boolean frozen) {
        this.frozen = frozen;
    }

    boolean frozen() {
        return frozen;
    }

    List<Object> items() {
        return items;
    }

    @Override
    public String toString() {
        return (frozen ? "frozenset(" : "set(") + items.size() + ")";
    }
}
