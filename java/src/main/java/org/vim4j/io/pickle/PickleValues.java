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
 * OrderedDict → {@code LinkedHashMap} (insertion order kept); set/frozenset → {@link PickleSet};
 * allow-listed globals → {@link PickleGlobal}; instances of inert classes → {@link PickleObject};
 * tensors → {@link PickleTensor}; storages → whatever the persistent loader returns ({@link PickleStorage} for
 * tensor storages).
 */
public final class PickleValues {
    private PickleValues() {
    }

    /**
     * Python's rule that dict keys be hashable, restricted to immutable values whose Java
     * equals/hashCode are cheap and non-recursive (so a hostile key cannot cost unbounded time).
     */
    static boolean isHashable(Object k) {
        return k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                || k instanceof Boolean || k instanceof PickleGlobal || (k instanceof PickleTuple t && t.hashable());
    }

    static void setItems(Map<Object, Object> d, List<Object> kv, PickleInput in) {
        if (kv.size() % 2 != 0) {
            throw in.corrupt("odd number of items (" + kv.size() + ") for a dict");
        }
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (!isHashable(k)) {
                throw in.corrupt("unhashable dict key " + describe(k));
            }
            if (d.containsKey(k)) {
                throw in.corrupt("duplicate key " + describe(k) + " in a dict");
            }
            d.put(k, kv.get(i + 1));
        }
    }

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

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

}
