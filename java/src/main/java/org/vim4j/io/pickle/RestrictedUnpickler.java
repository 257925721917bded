package org.vim4j.io.pickle;

import static org.vim4j.io.pickle.PickleOpcodes.*;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.vim4j.VimException;

/**
 * A pickle virtual machine that builds data and never executes code.
 *
 * <p>It understands the opcodes of protocols 0 to 5 that appear in practice. Globals are resolved
 * only through {@link PickleGlobal}'s allow-list, and what an admitted global "does" when called
 * (REDUCE, NEWOBJ, INST, OBJ) is fixed Java logic: build a tensor description ({@link PickleTensor}), an
 * ordered dict, a set, or an inert {@link PickleObject} placeholder. Nothing is ever looked up reflectively.
 * What the values it returns are: {@link PickleValues}.
 *
 * <p>The input is untrusted, so every length is checked against the bytes that remain before
 * anything is allocated, and the stack, the mark stack, the memo and the number of values created
 * are bounded. Violations raise {@link VimException} naming the file, the pickle and the byte
 * offset; the VM does not recurse, so hostile nesting cannot overflow the Java stack.
 */
public final class RestrictedUnpickler {
    /**
     * Receives each persistent id (BINPERSID/PERSID) and returns the object it stands for: a {@link PickleStorage}
     * for a tensor storage.
     */
    @FunctionalInterface
    public interface PersistentLoader {
        Object load(Object pid);
    }

    /** Stack depth bound: real pickles batch items by 1000, so their stacks stay shallow. */
    static final int MAX_STACK = 1 << 20;
    /** Open MARKs bound, i.e. how deeply MARK-delimited containers may nest while being built. */
    static final int MAX_MARKS = 10_000;
    /** Bound on values created plus memo writes: caps heap use whatever the pickle's length. */
    static final long MAX_VALUES = 8_000_000;

    private final PickleInput in;
    private final PickleCalls calls;
    private final PersistentLoader loader;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private long values;

    /**
     * @param file the checkpoint path, for messages
     * @param entry the pickle's name inside it (e.g. {@code archive/data.pkl}), for messages
     * @param pickle the pickle bytes
     * @param loader resolves persistent ids; null if the pickle may not contain any
     */
    public RestrictedUnpickler(String file, String entry, MemorySegment pickle, PersistentLoader loader) {
        this.in = new PickleInput(file, entry, pickle);
        this.calls = new PickleCalls(in);
        this.loader = loader;
    }

    /** Runs the pickle to its STOP opcode and returns the object it built (bytes after STOP are ignored, as Python does). */
    public Object load() {
        while (true) {
            in.startOp();
            int op = in.u8();
            switch (op) {
                case PROTO -> {
                    int v = in.u8();
                    if (v > HIGHEST_PROTOCOL) {
                        throw in.corrupt("unsupported pickle protocol " + v);
                    }
                }
                case FRAME -> {
                    long n = in.i64();
                    if (n < 0 || n > in.remaining()) {
                        throw in.corrupt("frame of " + Long.toUnsignedString(n) + " bytes, but only " + in.remaining() + " remain");
                    }
                }
                case STOP -> {
                    return pop();
                }

                // Constants and numbers
                case NONE -> push(null);
                case NEWTRUE -> push(Boolean.TRUE);
                case NEWFALSE -> push(Boolean.FALSE);
                case BININT -> push((long) in.i32());
                case BININT1 -> push((long) in.u8());
                case BININT2 -> push((long) in.u16());
                case LONG1 -> push(in.littleEndianInt(in.u8()));
                case LONG4 -> push(in.littleEndianInt(in.i32()));
                case BINFLOAT -> push(in.f64be());
                case INT -> push(in.textInt(in.line(), true));
                case LONG -> push(in.textInt(in.line(), false));
                case FLOAT -> push(in.textFloat(in.line()));

                // Strings and bytes
                case BINUNICODE -> push(in.utf8(in.u32()));
                case SHORT_BINUNICODE -> push(in.utf8(in.u8()));
                case BINUNICODE8 -> push(in.utf8(in.i64()));
                case UNICODE -> push(in.rawUnicodeEscape(in.line()));
                case BINSTRING -> push(in.latin1(in.i32()));
                case SHORT_BINSTRING -> push(in.latin1(in.u8()));
                case STRING -> push(in.quotedString(in.line()));
                case BINBYTES -> push(in.bytes(in.u32()));
                case SHORT_BINBYTES -> push(in.bytes(in.u8()));
                case BINBYTES8, BYTEARRAY8 -> push(in.bytes(in.i64()));
                case NEXT_BUFFER, READONLY_BUFFER -> throw in.corrupt("out-of-band pickle buffers are not supported");

                // Containers
                case EMPTY_TUPLE -> push(PickleTuple.of());
                case TUPLE1 -> push(tuple(Arrays.asList(pop())));
                case TUPLE2 -> {
                    Object b = pop();
                    Object a = pop();
                    push(tuple(Arrays.asList(a, b)));
                }
                case TUPLE3 -> {
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(tuple(Arrays.asList(a, b, c)));
                }
                case TUPLE -> push(tuple(popMark()));
                case EMPTY_LIST -> push(new ArrayList<>());
                case LIST -> push(new ArrayList<>(popMark()));
                case APPEND -> {
                    Object v = pop();
                    listAt(top()).add(v);
                }
                case APPENDS -> {
                    List<Object> items = popMark();
                    listAt(top()).addAll(items);
                }
                case EMPTY_DICT -> push(new LinkedHashMap<>());
                case DICT -> {
                    Map<Object, Object> d = new LinkedHashMap<>();
                    PickleValues.setItems(d, popMark(), in);
                    push(d);
                }
                case SETITEM -> {
                    Object v = pop();
                    Object k = pop();
                    PickleValues.setItems(dictAt(top()), Arrays.asList(k, v), in);
                }
                case SETITEMS -> {
                    List<Object> kv = popMark();
                    PickleValues.setItems(dictAt(top()), kv, in);
                }
                case EMPTY_SET -> push(new PickleSet(false));
                case ADDITEMS -> {
                    List<Object> items = popMark();
                    if (!(top() instanceof PickleSet s) || s.frozen()) {
                        throw in.corrupt("ADDITEMS on " + PickleValues.describe(top()));
                    }
                    s.items().addAll(items);
                }
                case FROZENSET -> {
                    PickleSet s = new PickleSet(true);
                    s.items().addAll(popMark());
                    push(s);
                }

                // Stack and memo
                case MARK -> pushMark();
                case POP -> {
                    // As CPython: with nothing above the last MARK, POP discards the mark itself.
                    if (stack.size() > currentMark()) {
                        pop();
                    } else {
                        popMark();
                    }
                }
                case POP_MARK -> popMark();
                case DUP -> push(top());
                case BINPUT -> memoPut(in.u8());
                case LONG_BINPUT -> memoPut(in.u32());
                case PUT -> memoPut(in.textIndex(in.line()));
                case MEMOIZE -> memoPut(memo.size());
                case BINGET -> push(memoGet(in.u8()));
                case LONG_BINGET -> push(memoGet(in.u32()));
                case GET -> push(memoGet(in.textIndex(in.line())));

                // Globals, calls, objects
                case GLOBAL -> {
                    String module = in.line();
                    String name = in.line();
                    push(resolve(module, name));
                }
                case STACK_GLOBAL -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw in.corrupt("STACK_GLOBAL needs two strings, got " + PickleValues.describe(module) + " and " + PickleValues.describe(name));
                    }
                    push(resolve(m, n));
                }
                case REDUCE -> {
                    Object args = pop();
                    Object callable = pop();
                    push(calls.call(callable, calls.tupleArg(args, "REDUCE")));
                }
                case NEWOBJ -> {
                    Object args = pop();
                    Object cls = pop();
                    push(calls.instantiate(cls, calls.tupleArg(args, "NEWOBJ")));
                }
                case NEWOBJ_EX -> {
                    Object kwargs = pop();
                    Object args = pop();
                    Object cls = pop();
                    if (!(kwargs instanceof Map<?, ?> kw) || !kw.isEmpty()) {
                        throw in.corrupt("NEWOBJ_EX with keyword arguments is not supported");
                    }
                    push(calls.instantiate(cls, calls.tupleArg(args, "NEWOBJ_EX")));
                }
                case INST -> {
                    String module = in.line();
                    String name = in.line();
                    PickleGlobal cls = resolve(module, name);
                    push(calls.call(cls, tuple(popMark())));
                }
                case OBJ -> {
                    List<Object> items = popMark();
                    if (items.isEmpty()) {
                        throw in.corrupt("OBJ without a class");
                    }
                    push(calls.call(items.getFirst(), tuple(items.subList(1, items.size()))));
                }
                case BUILD -> {
                    Object state = pop();
                    calls.build(top(), state);
                }
                case BINPERSID -> push(persistentLoad(pop()));
                case PERSID -> push(persistentLoad(in.asciiLine()));
                case EXT1, EXT2, EXT4 -> throw in.corrupt("extension-registry opcodes (EXT1/2/4) are not supported");
                default -> throw in.corrupt(String.format("unknown opcode 0x%02x", op));
            }
        }
    }

    private Object persistentLoad(Object pid) {
        if (loader == null) {
            throw in.corrupt("unexpected persistent id " + PickleValues.describe(pid)
                    + " (this pickle may not reference external data)");
        }
        return loader.load(pid);
    }

    private PickleGlobal resolve(String module, String name) {
        return PickleGlobal.resolve(in.file(), module, name);
    }

    // ---- stack, marks, memo ----

    private void push(Object o) {
        if (stack.size() >= MAX_STACK) {
            throw in.corrupt("stack deeper than " + MAX_STACK);
        }
        count();
        stack.add(o);
    }

    private void count() {
        if (++values > MAX_VALUES) {
            throw in.corrupt("more than " + MAX_VALUES + " values; refusing to build more");
        }
    }

    private Object pop() {
        if (stack.size() <= currentMark()) {
            throw in.corrupt("stack underflow");
        }
        return stack.removeLast();
    }

    private Object top() {
        if (stack.size() <= currentMark()) {
            throw in.corrupt("stack underflow");
        }
        return stack.getLast();
    }

    private int currentMark() {
        return markCount == 0 ? 0 : marks[markCount - 1];
    }

    private void pushMark() {
        if (markCount >= MAX_MARKS) {
            throw in.corrupt("more than " + MAX_MARKS + " nested MARKs");
        }
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = stack.size();
    }

    /** Pops everything above the last MARK (and the mark), returning it in stack order. */
    private List<Object> popMark() {
        if (markCount == 0) {
            throw in.corrupt("no MARK on the stack");
        }
        int m = marks[--markCount];
        List<Object> top = stack.subList(m, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private void memoPut(long index) {
        if (index < 0) {
            throw in.corrupt("negative memo index " + index);
        }
        count();
        memo.put(index, top());
    }

    private Object memoGet(long index) {
        // None is a legitimate memo value (Java null), so presence is tested separately.
        if (!memo.containsKey(index)) {
            throw in.corrupt("memo key " + index + " was never stored");
        }
        return memo.get(index);
    }

    private PickleTuple tuple(List<Object> items) {
        try {
            return new PickleTuple(items);
        } catch (VimException e) {
            throw in.corrupt(e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private List<Object> listAt(Object o) {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw in.corrupt("APPEND(S) on " + PickleValues.describe(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictAt(Object o) {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw in.corrupt("SETITEM(S) on " + PickleValues.describe(o));
    }
}
