package org.vim4j.io.pickle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.vim4j.VimException;
import org.vim4j.io.Shapes;

/**
 * What calling, instantiating or BUILDing an allow-listed global means, as fixed Java code: build a
 * tensor description, an ordered dict, a set, bytes, or an inert {@link PickleObject}. Nothing
 * is looked up reflectively and nothing outside this switch can be reached from a pickle.
 *
 * <p>It also makes every container the VM builds, so that each one is charged to the {@link PickleBudget}: a call
 * that copies a memoised value ({@code set(list)}, {@code bytearray(bytes)}, {@code _codecs.encode(str)},
 * {@code OrderedDict(pairs)}, a BUILD's attributes) costs its full size every time, however few bytes of pickle
 * repeat it.
 */
final class PickleCalls {
    /** Bytes charged for an empty list, set or dict, and per list or set slot. */
    static final long CONTAINER_BYTES = 64;
    static final long SLOT_BYTES = 8;

    private final PickleInput in;
    private final PickleBudget budget;
    private final PickleKeys keys;

    PickleCalls(PickleInput in, PickleBudget budget, PickleKeys keys) {
        this.in = in;
        this.budget = budget;
        this.keys = keys;
    }

    /** A tuple of {@code items} (interned when hashable). */
    PickleTuple tuple(List<Object> items) {
        budget.items(items.size(), "a tuple");
        try {
            return keys.tuple(items);
        } catch (VimException e) {
            if (e.getMessage().startsWith("tuples nested deeper")) {
                throw in.refuse("exceeds its depth budget: " + e.getMessage());
            }
            throw e;
        }
    }

    /** A new list holding {@code items}. */
    ArrayList<Object> list(List<Object> items) {
        budget.memory(CONTAINER_BYTES, "a list");
        ArrayList<Object> l = new ArrayList<>();
        extend(l, items);
        return l;
    }

    /** APPEND(S), ADDITEMS and the copies made by set(...): {@code items.size()} more slots. */
    void extend(List<Object> target, List<?> items) {
        budget.work(items.size());
        budget.items((long) target.size() + items.size(), "a list or set");
        budget.memory(SLOT_BYTES * items.size(), "adding %d item(s) to a list or set", items.size());
        target.addAll(items);
    }

    PickleDict dict() {
        budget.memory(CONTAINER_BYTES, "a dict");
        return new PickleDict(keys);
    }

    PickleSet set(boolean frozen, List<?> items) {
        budget.memory(CONTAINER_BYTES, "a set");
        PickleSet s = new PickleSet(frozen);
        extend(s.items(), items);
        return s;
    }

    /** REDUCE, INST and OBJ: {@code callable(*args)}. */
    Object call(Object callable, PickleTuple args) {
        if (!(callable instanceof PickleGlobal g)) {
            throw in.corrupt("cannot call " + PickleValues.describe(callable));
        }
        return switch (g.kind()) {
            case REBUILD_TENSOR_V2 -> rebuildTensor(g, args, 6, 7);
            case REBUILD_TENSOR -> rebuildTensor(g, args, 4, 4);
            case REBUILD_PARAMETER -> {
                arity(g, args, 3, 4);
                if (!(args.get(0) instanceof PickleTensor t)) {
                    throw in.corrupt(g + " expects a tensor, got " + PickleValues.describe(args.get(0)));
                }
                yield t;
            }
            case REBUILD_FROM_TYPE -> {
                arity(g, args, 4, 4);
                if (!(args.get(0) instanceof PickleGlobal f)
                        || (f.kind() != PickleGlobal.Kind.REBUILD_TENSOR_V2 && f.kind() != PickleGlobal.Kind.REBUILD_TENSOR)) {
                    throw in.corrupt(g + " may only apply a tensor rebuild function, not " + PickleValues.describe(args.get(0)));
                }
                if (!(args.get(1) instanceof PickleGlobal type) || type.kind() != PickleGlobal.Kind.TENSOR_CLASS) {
                    throw in.corrupt(g + " may only build torch.Tensor or Parameter, not " + PickleValues.describe(args.get(1)));
                }
                yield call(f, tupleArg(args.get(2), g.toString()));
            }
            case ORDERED_DICT -> {
                PickleDict d = dict();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    // Protocols 0-1: OrderedDict([[k, v], ...])
                    budget.work(pairs.size());
                    budget.items(pairs.size(), "an OrderedDict");
                    List<Object> kv = new ArrayList<>();
                    for (Object p : pairs) {
                        List<?> pair = p instanceof PickleTuple t && t.size() == 2 ? Arrays.asList(t.get(0), t.get(1))
                                : p instanceof List<?> l && l.size() == 2 ? l : null;
                        if (pair == null) {
                            throw in.corrupt("OrderedDict item is not a pair: " + PickleValues.describe(p));
                        }
                        kv.add(pair.get(0));
                        kv.add(pair.get(1));
                    }
                    PickleValues.setItems(d, kv, in, budget);
                } else {
                    arity(g, args, 0, 0);
                }
                yield d;
            }
            case INERT_CLASS -> object(g.qualifiedName(), args);
            case SET, FROZENSET -> {
                arity(g, args, 0, 1);
                List<?> items = List.of();
                if (args.size() == 1) {
                    if (!(args.get(0) instanceof List<?> l)) {
                        throw in.corrupt(g + " expects a list, got " + PickleValues.describe(args.get(0)));
                    }
                    items = l;
                }
                yield set(g.kind() == PickleGlobal.Kind.FROZENSET, items);
            }
            case BYTES -> {
                arity(g, args, 0, 0);
                yield new byte[0];
            }
            case BYTEARRAY -> {
                arity(g, args, 0, 2);
                if (args.size() == 0) {
                    yield new byte[0];
                }
                if (args.size() == 1 && args.get(0) instanceof byte[] b) {
                    budget.memory(16 + (long) b.length, "a %d-byte bytearray copy", b.length);
                    yield b.clone();
                }
                yield encodeLatin1(g, args);
            }
            case CODECS_ENCODE -> encodeLatin1(g, args);
            case TORCH_SIZE -> {
                arity(g, args, 1, 1);
                if (!(args.get(0) instanceof PickleTuple t)) {
                    throw in.corrupt(g + " expects a tuple, got " + PickleValues.describe(args.get(0)));
                }
                yield t;
            }
            case RECONSTRUCTOR -> {
                arity(g, args, 3, 3);
                if (!(args.get(0) instanceof PickleGlobal cls) || cls.kind() != PickleGlobal.Kind.INERT_CLASS
                        || !(args.get(1) instanceof PickleGlobal base) || base.kind() != PickleGlobal.Kind.OBJECT
                        || args.get(2) != null) {
                    throw in.corrupt(g + " is only supported as _reconstructor(<allowed class>, object, None)");
                }
                yield object(cls.qualifiedName(), tuple(List.of()));
            }
            case STORAGE, TENSOR_CLASS, INERT_VALUE, OBJECT ->
                    throw in.corrupt("'" + g + "' may not be called here");
        };
    }

    /** NEWOBJ: {@code cls.__new__(cls, *args)}, meaningful only for classes vim4j represents. */
    Object instantiate(Object cls, PickleTuple args) {
        if (cls instanceof PickleGlobal g) {
            switch (g.kind()) {
                case INERT_CLASS:
                    return object(g.qualifiedName(), args);
                case ORDERED_DICT:
                    return dict();
                case SET, FROZENSET:
                    return set(g.kind() == PickleGlobal.Kind.FROZENSET, List.of());
                default:
                    break;
            }
        }
        throw in.corrupt("cannot instantiate " + PickleValues.describe(cls) + " with NEWOBJ");
    }

    private PickleObject object(String className, PickleTuple args) {
        budget.memory(CONTAINER_BYTES, "an object");
        return new PickleObject(className, args);
    }

    void build(Object target, Object state) {
        if (target instanceof PickleObject o) {
            o.build(state, budget);
        } else if (!(target instanceof Map<?, ?>)) {
            // A dict's BUILD state is instance attributes (OrderedDict's _metadata), not items: dropped.
            throw in.corrupt("BUILD on " + PickleValues.describe(target));
        }
    }

    PickleTensor rebuildTensor(PickleGlobal g, PickleTuple args, int minArgs, int maxArgs) {
        arity(g, args, minArgs, maxArgs);
        if (!(args.get(0) instanceof PickleStorage storage)) {
            throw in.corrupt(g + ": argument 0 must be a storage (persistent id), got " + PickleValues.describe(args.get(0)));
        }
        long offset = asLong(args.get(1), g + " storage_offset");
        for (int i = 2; i <= 3; i++) {
            // Before converting: a memoised million-item tuple must not become a long[] on every call.
            if (args.get(i) instanceof PickleTuple t && t.size() > Shapes.MAX_RANK) {
                throw in.corrupt(g + ": " + (i == 2 ? "size" : "stride") + " has " + t.size() + " dimensions, more than "
                        + Shapes.MAX_RANK);
            }
        }
        long[] size = longs(args.get(2), g + " size");
        long[] stride = longs(args.get(3), g + " stride");
        if (size.length != stride.length) {
            throw in.corrupt(g + ": size " + Arrays.toString(size) + " and stride " + Arrays.toString(stride)
                    + " must have the same rank, at most " + Shapes.MAX_RANK);
        }
        if (maxArgs > 4 && args.get(5) instanceof Map<?, ?> hooks && !hooks.isEmpty()) {
            throw in.corrupt(g + ": tensors with backward hooks are not supported");
        }
        budget.memory(CONTAINER_BYTES + 16L * size.length, "a tensor description");
        return new PickleTensor(storage, offset, size, stride);
    }

    byte[] encodeLatin1(PickleGlobal g, PickleTuple args) {
        arity(g, args, 2, 2);
        if (!(args.get(0) instanceof String s) || !(args.get(1) instanceof String enc)
                || !(enc.equals("latin1") || enc.equals("latin-1"))) {
            throw in.corrupt(g + " is only supported as (str, 'latin1'), got (" + PickleValues.describe(args.get(0)) + ", "
                    + PickleValues.describe(args.get(1)) + ")");
        }
        budget.memory(16 + (long) s.length(), "a %d-byte encoded copy", s.length());
        budget.work(s.length() / 64);
        byte[] b = new byte[s.length()];
        for (int i = 0; i < b.length; i++) {
            char c = s.charAt(i);
            if (c > 0xff) {
                throw in.corrupt(g + ": character U+" + Integer.toHexString(c) + " is not latin-1");
            }
            b[i] = (byte) c;
        }
        return b;
    }

    PickleTuple tupleArg(Object args, String op) {
        if (args instanceof PickleTuple t) {
            return t;
        }
        throw in.corrupt(op + " arguments must be a tuple, got " + PickleValues.describe(args));
    }
    void arity(PickleGlobal g, PickleTuple args, int min, int max) {
        if (args.size() < min || args.size() > max) {
            throw in.corrupt(g + " takes " + (min == max ? min : min + " to " + max) + " arguments, got " + args.size());
        }
    }
    long asLong(Object o, String what) {
        if (o instanceof Long l) {
            return l;
        }
        throw in.corrupt(what + " must be an int, got " + PickleValues.describe(o));
    }
    long[] longs(Object o, String what) {
        if (!(o instanceof PickleTuple t)) {
            throw in.corrupt(what + " must be a tuple of ints, got " + PickleValues.describe(o));
        }
        long[] r = new long[t.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = asLong(t.get(i), what + "[" + i + "]");
        }
        return r;
    }
}
