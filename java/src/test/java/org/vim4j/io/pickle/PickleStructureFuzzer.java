package org.vim4j.io.pickle;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import org.vim4j.VimException;
import org.vim4j.fuzz.FuzzFiles;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Structure-aware fuzzing of the pickle VM's costs: the fuzz input is a program of moves that a byte-level
 * mutator would rarely assemble, each compiled to valid opcodes: values, MARK-delimited containers, memo PUTs and
 * GETs of earlier values, tuples of memoised items used as dict keys, allow-listed calls (set, bytearray,
 * _codecs.encode, OrderedDict, Namespace + BUILD, the tensor rebuilders) on memoised arguments, and repetitions
 * of a move (the shape of every amplification attack). Each program runs under a small budget, and the contract
 * is that of the other targets plus the budget's own: the parse either returns or is refused with a message, and
 * its thread allocates at most a small multiple of the memory budget. An allocation the budget does not count
 * would show up here as a finding.
 */
class PickleStructureFuzzer {
    static final long WORK = 2_000_000;
    static final long MEMORY = 8L << 20;
    /** Transient copies (marked items moved to a list, a tuple's array) are not charged; they stay within this. */
    static final long ALLOWED_ALLOCATION = 8 * MEMORY + (16L << 20);

    private static final String[][] CALLABLES = {
        {"builtins", "set"}, {"builtins", "frozenset"}, {"builtins", "bytearray"}, {"_codecs", "encode"},
        {"collections", "OrderedDict"}, {"argparse", "Namespace"}, {"torch", "Size"}, {"torch._utils", "_rebuild_tensor_v2"},
        {"torch._utils", "_rebuild_parameter"}, {"builtins", "bytes"}, {"copyreg", "_reconstructor"}, {"builtins", "object"},
    };

    /** The first executions load classes and warm the fuzzer itself: their allocation is not the parse's. */
    private static int executions;

    @FuzzTest(maxDuration = "5s")
    void structured(FuzzedDataProvider data) {
        byte[] pickle = program(data);
        boolean warm = ++executions > 200;
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        try {
            Object root = new RestrictedUnpickler("fuzz.pth", "fuzz/data.pkl", MemorySegment.ofArray(pickle), pid -> pid,
                    new PickleBudget(WORK, MEMORY, "for the fuzzer")).load();
            PickleValues.describe(root);
        } catch (VimException refused) {
            FuzzFiles.requireMessage(refused);
            if (refused.getMessage().length() > 2000) {
                throw new AssertionError("a refusal of " + refused.getMessage().length() + " characters: messages must quote "
                        + "bounded parts of the input", refused);
            }
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        if (warm && allocated > ALLOWED_ALLOCATION) {
            throw new AssertionError("a " + pickle.length + "-byte pickle allocated " + allocated + " bytes under a memory budget of "
                    + MEMORY + ": something it materialises is not charged");
        }
    }

    /** Compiles the fuzz input into a pickle: a protocol, then moves, then STOP. */
    static byte[] program(FuzzedDataProvider data) {
        PickleBuilder b = new PickleBuilder(data.consumeInt(0, 5));
        int memo = 0;
        int moves = data.consumeInt(0, 64);
        for (int m = 0; m < moves && data.remainingBytes() > 0; m++) {
            int move = data.consumeInt(0, 22);
            int repeat = data.consumeBoolean() ? data.consumeInt(1, move == 21 ? 4 : 3000) : 1;
            int arg = data.consumeInt(0, Math.max(0, memo + 2));
            String text = move == 2 || move == 3 ? data.consumeString(64) : "";
            int size = data.consumeInt(0, 1 << 16);
            for (int r = 0; r < repeat; r++) {
                switch (move) {
                    case 0 -> b.op('N');
                    case 1 -> b.integer(arg - 1L);
                    case 2 -> b.str(text);
                    case 3 -> {
                        byte[] t = text.getBytes(StandardCharsets.UTF_8);
                        b.op('B').u32(t.length).raw(t);
                    }
                    case 4 -> b.op('(');
                    case 5 -> b.op('t');
                    case 6 -> b.op(0x85 + arg % 3);
                    case 7 -> b.op(']');
                    case 8 -> b.op('a');
                    case 9 -> b.op('e');
                    case 10 -> b.op('}');
                    case 11 -> b.op('s');
                    case 12 -> b.op('u');
                    case 13 -> b.op('r').u32(memo++);
                    case 14 -> b.op('j').u32(arg);
                    case 15 -> b.op('2');
                    case 16 -> b.op('0');
                    case 17 -> {
                        String[] g = CALLABLES[arg % CALLABLES.length];
                        b.global(g[0], g[1]);
                    }
                    case 18 -> b.op('R');
                    case 19 -> b.op(0x81);
                    case 20 -> b.op('b');
                    case 21 -> b.op('B').u32(size).raw(new byte[size]); // a big memoisable value
                    default -> b.op('1');
                }
            }
        }
        return b.stop();
    }
}
