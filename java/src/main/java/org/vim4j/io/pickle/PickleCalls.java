package org.vim4j.io.pickle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vim4j.io.Shapes;

/**
 * What calling, instantiating or BUILDing an allow-listed global means, as fixed Java code: build a
 * tensor description, an ordered dict, a set, bytes, or an inert {@link PickleObject}. Nothing
 * is looked up reflectively and nothing outside this switch can be reached from a pickle.
 */
final class PickleCalls {
    private final PickleInput in;

    PickleCalls(PickleInput in) {
        this.in = in;
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
                Map<Object, Object> d = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    // Protocols 0-1: OrderedDict([[k, v], ...])
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
                    PickleValues.setItems(d, kv, in);
                } else {
                    arity(g, args, 0, 0);
                }
                yield d;
            }
            case INERT_CLASS -> new PickleObject(g.qualifiedName(), args);
            case SET, FROZENSET -> {
                arity(g, args, 0, 1);
                PickleSet s = new PickleSet(g.kind() == PickleGlobal.Kind.FROZENSET);
                if (args.size() == 1) {
                    if (!(args.get(0) instanceof List<?> items)) {
                        throw in.corrupt(g + " expects a list, got " + PickleValues.describe(args.get(0)));
                    }
                    s.items().addAll(items);
                }
                yield s;
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
                yield new PickleObject(cls.qualifiedName(), PickleTuple.of());
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
                    return new PickleObject(g.qualifiedName(), args);
                case ORDERED_DICT:
                    return new LinkedHashMap<>();
                case SET, FROZENSET:
                    return new PickleSet(g.kind() == PickleGlobal.Kind.FROZENSET);
                default:
                    break;
            }
        }
        throw in.corrupt("cannot instantiate " + PickleValues.describe(cls) + " with NEWOBJ");
    }

    void build(Object target, Object state) {
        if (target instanceof PickleObject o) {
            o.build(state);
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
        long[] size = longs(args.get(2), g + " size");
        long[] stride = longs(args.get(3), g + " stride");
        if (size.length != stride.length || size.length > Shapes.MAX_RANK) {
            throw in.corrupt(g + ": size " + Arrays.toString(size) + " and stride " + Arrays.toString(stride)
                    + " must have the same rank, at most " + Shapes.MAX_RANK);
        }
        if (maxArgs > 4 && args.get(5) instanceof Map<?, ?> hooks && !hooks.isEmpty()) {
            throw in.corrupt(g + ": tensors with backward hooks are not supported");
        }
        return new PickleTensor(storage, offset, size, stride);
    }

    byte[] encodeLatin1(PickleGlobal g, PickleTuple args) {
        arity(g, args, 2, 2);
        if (!(args.get(0) instanceof String s) || !(args.get(1) instanceof String enc)
                || !(enc.equals("latin1") || enc.equals("latin-1"))) {
            throw in.corrupt(g + " is only supported as (str, 'latin1'), got (" + PickleValues.describe(args.get(0)) + ", "
                    + PickleValues.describe(args.get(1)) + ")");
        }
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
