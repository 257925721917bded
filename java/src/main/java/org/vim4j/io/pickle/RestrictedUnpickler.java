package org.vim4j.io.pickle;

import static org.vim4j.io.pickle.PickleOpcodes.*;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
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
 * anything is allocated, and every parse runs under a {@link PickleBudget} decided from the pickle's size:
 * work, memory (bytes materialised, counted across copies), depth and container sizes. Dicts are ordered
 * trees over a total order of keys and hashable tuples are interned ({@link PickleKeys}), so no choice of keys
 * makes a lookup or a key check cost more than O(log n) shallow comparisons. Violations raise
 * {@link VimException} naming the file, the pickle, the byte offset and, for a budget, which one; the VM does
 * not recurse, so hostile nesting cannot overflow the Java stack.
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
    static final int MAX_MARKS = PickleBudget.MAX_MARK_DEPTH;
    /** Bytes charged per memo entry (node, boxed index, table slot). */
    static final long MEMO_ENTRY_BYTES = 64;

    private final PickleInput in;
    private final PickleBudget budget;
    private final PickleKeys keys;
    private final PickleCalls calls;
    private final PersistentLoader loader;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();

    /**
     * @param file the checkpoint path, for messages
     * @param entry the pickle's name inside it (e.g. {@code archive/data.pkl}), for messages
     * @param pickle the pickle bytes
     * @param loader resolves persistent ids; null if the pickle may not contain any
     */
    public RestrictedUnpickler(String file, String entry, MemorySegment pickle, PersistentLoader loader) {
        this(file, entry, pickle, loader, PickleBudget.forInput(pickle.byteSize()));
    }

    /**
     * As {@link #RestrictedUnpickler(String, String, MemorySegment, PersistentLoader)}, under {@code budget}
     * (e.g. one decided from the compressed size of a deflated pickle, already charged for its inflation).
     */
    public RestrictedUnpickler(String file, String entry, MemorySegment pickle, PersistentLoader loader, PickleBudget budget) {
        this.in = new PickleInput(file, entry, pickle);
        this.budget = budget;
        budget.refuseWith(in::refuse);
        this.keys = new PickleKeys(budget);
        this.calls = new PickleCalls(in, budget, keys);
        this.loader = loader;
    }

    /** The budget this parse runs under, and what it has used. */
    public PickleBudget budget() {
        return budget;
    }

    /** Runs the pickle to its STOP opcode and returns the object it built (bytes after STOP are ignored, as Python does). */
    public Object load() {
        try {
            return run();
        } finally {
            budget.close();
        }
    }

    private Object run() {
        while (true) {
            in.startOp();
            int op = in.u8();
            budget.work(1);
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
                case LONG1 -> push(number(in.littleEndianInt(in.u8())));
                case LONG4 -> push(number(in.littleEndianInt(in.i32())));
                case BINFLOAT -> push(number(in.f64be()));
                case INT -> push(number(in.textInt(in.line(), true)));
                case LONG -> push(number(in.textInt(in.line(), false)));
                case FLOAT -> push(number(in.textFloat(in.line())));

                // Strings and bytes
                case BINUNICODE -> push(string(in.utf8(in.u32())));
                case SHORT_BINUNICODE -> push(string(in.utf8(in.u8())));
                case BINUNICODE8 -> push(string(in.utf8(in.i64())));
                case UNICODE -> push(string(in.rawUnicodeEscape(in.line())));
                case BINSTRING -> push(string(in.latin1(in.i32())));
                case SHORT_BINSTRING -> push(string(in.latin1(in.u8())));
                case STRING -> push(string(in.quotedString(in.line())));
                case BINBYTES -> push(bytes(in.bytes(in.u32())));
                case SHORT_BINBYTES -> push(bytes(in.bytes(in.u8())));
                case BINBYTES8, BYTEARRAY8 -> push(bytes(in.bytes(in.i64())));
                case NEXT_BUFFER, READONLY_BUFFER -> throw in.corrupt("out-of-band pickle buffers are not supported");

                // Containers
                case EMPTY_TUPLE -> push(tuple(List.of()));
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
                case EMPTY_LIST -> push(calls.list(List.of()));
                case LIST -> push(calls.list(popMark()));
                case APPEND -> {
                    Object v = pop();
                    calls.extend(listAt(top()), Collections.singletonList(v));
                }
                case APPENDS -> {
                    List<Object> items = popMark();
                    calls.extend(listAt(top()), items);
                }
                case EMPTY_DICT -> push(calls.dict());
                case DICT -> {
                    List<Object> kv = popMark();
                    PickleDict d = calls.dict();
                    PickleValues.setItems(d, kv, in, budget);
                    push(d);
                }
                case SETITEM -> {
                    Object v = pop();
                    Object k = pop();
                    PickleValues.setItems(dictAt(top()), Arrays.asList(k, v), in, budget);
                }
                case SETITEMS -> {
                    List<Object> kv = popMark();
                    PickleValues.setItems(dictAt(top()), kv, in, budget);
                }
                case EMPTY_SET -> push(calls.set(false, List.of()));
                case ADDITEMS -> {
                    List<Object> items = popMark();
                    if (!(top() instanceof PickleSet s) || s.frozen()) {
                        throw in.corrupt("ADDITEMS on " + PickleValues.describe(top()));
                    }
                    calls.extend(s.items(), items);
                }
                case FROZENSET -> push(calls.set(true, popMark()));

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
        PickleGlobal g = PickleGlobal.resolve(in.file(), module, name);
        budget.memory(48, "a global");
        return g;
    }

    /** Ints and floats: a boxed value (a big int also its magnitude). */
    private Object number(Object v) {
        budget.memory(v instanceof BigInteger b ? 48 + b.bitLength() / 8 : 16, "a number");
        return v;
    }

    /** A string, charged as UTF-16 (the most a Java string of it takes). */
    private String string(String s) {
        budget.memory(40 + 2L * s.length(), "a %d-character string", s.length());
        return s;
    }

    private byte[] bytes(byte[] b) {
        budget.memory(16 + (long) b.length, "a %d-byte bytes", b.length);
        return b;
    }

    // ---- stack, marks, memo ----

    private void push(Object o) {
        if (stack.size() >= MAX_STACK) {
            throw in.refuse("exceeds its depth budget: stack deeper than " + MAX_STACK);
        }
        stack.add(o);
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
            throw in.refuse("exceeds its depth budget: more than " + MAX_MARKS + " nested MARKs");
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
        budget.work(top.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private void memoPut(long index) {
        if (index < 0) {
            throw in.corrupt("negative memo index " + index);
        }
        budget.memory(MEMO_ENTRY_BYTES, "a memo entry");
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
        return calls.tuple(items);
    }

    @SuppressWarnings("unchecked")
    private List<Object> listAt(Object o) {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw in.corrupt("APPEND(S) on " + PickleValues.describe(o));
    }

    private PickleDict dictAt(Object o) {
        if (o instanceof PickleDict d) {
            return d;
        }
        throw in.corrupt("SETITEM(S) on " + PickleValues.describe(o));
    }
}
