package org.vim4j.io.pickle;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * What the values {@link RestrictedUnpickler} builds are, and the rules that apply to them.
 *
 * <p>Python values map to: None → {@code null}; bool → {@link Boolean}; int → {@link Long} (or
 * {@link BigInteger} beyond 64 bits); float → {@link Double}; str → {@link String}; bytes and
 * bytearray → {@code byte[]}; tuple → {@link PickleTuple}; list → {@code ArrayList}; dict and
 * OrderedDict → a read-only {@code Map} (insertion order kept; lookups in an ordered tree); set/frozenset → {@link PickleSet};
 * allow-listed globals → {@link PickleGlobal}; instances of inert classes → {@link PickleObject};
 * tensors → {@link PickleTensor}; storages → whatever the persistent loader returns ({@link PickleStorage} for
 * tensor storages).
 */
public final class PickleValues {
    private PickleValues() {
    }

    /**
     * Python's rule that dict keys be hashable, restricted to immutable values that {@link PickleKeys} orders
     * cheaply (a tuple's hashability is cached when it is built, so this never walks a structure).
     */
    static boolean isHashable(Object k) {
        return k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                || k instanceof Boolean || k instanceof PickleGlobal || (k instanceof PickleTuple t && t.hashable());
    }

    /** SETITEM(S)/DICT: adds key/value pairs that must be new keys, charging each entry to the budget. */
    static void setItems(PickleDict d, List<Object> kv, PickleInput in, PickleBudget budget) {
        if (kv.size() % 2 != 0) {
            throw in.corrupt("odd number of items (" + kv.size() + ") for a dict");
        }
        budget.items(d.size() + kv.size() / 2L, "a dict");
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (!d.acceptsKey(k)) {
                throw in.corrupt("unhashable dict key " + describe(k));
            }
            budget.memory(DICT_ENTRY_BYTES, "a dict entry");
            if (!d.putNew(k, kv.get(i + 1))) {
                throw in.corrupt("duplicate key " + describe(k) + " in a dict");
            }
        }
    }

    /** What one dict entry is charged: an entry, a tree node and an ordering slot. */
    static final long DICT_ENTRY_BYTES = 128;

    /** A short, bounded description of a value for error messages (never recurses into containers). */
    public static String describe(Object o) {
        return switch (o) {
            case null -> "None";
            case String s -> "str '" + abbreviate(s) + "'";
            case Long l -> "int " + l;
            case BigInteger b -> "int (" + b.bitLength() + " bits)";
            case Double d -> "float " + d;
            case Boolean b -> b ? "True" : "False";
            case byte[] b -> "bytes(" + b.length + ")";
            case PickleTuple t -> "tuple of " + t.size();
            case List<?> l -> "list of " + l.size();
            case Map<?, ?> m -> "dict of " + m.size();
            case PickleGlobal g -> "'" + g.qualifiedName() + "'";
            case PickleTensor t -> t.toString();
            case PickleStorage s -> "storage '" + s.key() + "'";
            default -> o.toString();
        };
    }

    /** {@code s} cut to 60 characters, for messages that echo names read from a file. */
    public static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

}
