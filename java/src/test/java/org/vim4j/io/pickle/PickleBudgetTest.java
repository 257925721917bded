package org.vim4j.io.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vim4j.VimException;
import org.vim4j.io.Fixtures;
import org.vim4j.tensor.DType;

/**
 * The budgets cost a legitimate pickle nothing, and each hostile class is stopped by one of them, quickly and
 * with little memory (attacks built here at full size; tools/make_hostile_files.py writes smaller ones as files).
 */
class PickleBudgetTest {
    /** Storages stand for themselves: the pickle alone is measured. */
    static final RestrictedUnpickler.PersistentLoader STORAGE = pid -> new PickleStorage() {
        public String key() {
            return "k";
        }

        public DType dtype() {
            return DType.F32;
        }
    };

    /** Pickles torch.save and pickle.dumps wrote, and what share of each budget they use. */
    @Test
    void legitimatePicklesUseAFractionOfTheirBudgets() throws IOException {
        List<String> report = new ArrayList<>();
        Map<String, byte[]> pickles = new java.util.LinkedHashMap<>();
        // tools/make_vim_checkpoint.py: a Vim-Tiny training checkpoint (model, model_ema, AdamW state, args) as
        // the official training script saves it: its data.pkl.
        pickles.put("vim_tiny_train", Files.readAllBytes(Fixtures.path("pickles/vim_tiny_train.pkl")));
        for (String f : new String[] {"checkpoint", "bare_state_dict", "dtypes", "views", "ddp_prefix"}) {
            Fixtures.entries(Fixtures.path("pth/" + f + ".pth")).forEach((name, bytes) -> {
                if (name.endsWith("/data.pkl")) {
                    pickles.put(f, bytes);
                }
            });
        }
        for (int p = 0; p <= 5; p++) {
            pickles.put("inert_p" + p, Files.readAllBytes(Fixtures.path("pickles/inert_p" + p + ".pkl")));
        }
        double worstWork = 0, worstMemory = 0;
        for (var e : pickles.entrySet()) {
            RestrictedUnpickler u = new RestrictedUnpickler("f.pth", "data.pkl", MemorySegment.ofArray(e.getValue()), STORAGE);
            u.load();
            PickleBudget b = u.budget();
            double work = (double) b.workUsed() / b.maxWork(), memory = (double) b.memoryUsed() / b.maxMemory();
            worstWork = Math.max(worstWork, work);
            worstMemory = Math.max(worstMemory, memory);
            report.add(String.format(Locale.ROOT, "%s: %,d bytes, work %,d steps (%.2f/byte, %.3f%% of budget), memory %,d bytes "
                    + "(%.1f/byte, %.3f%% of budget)", e.getKey(), e.getValue().length, b.workUsed(),
                    (double) b.workUsed() / e.getValue().length, 100 * work, b.memoryUsed(),
                    (double) b.memoryUsed() / e.getValue().length, 100 * memory));
        }
        report.forEach(l -> System.out.println("budget " + l));
        assertTrue(worstWork < 0.25 && worstMemory < 0.25, String.join("\n", report));
    }

    /** A pickle's cost per byte, without the base allowances: what a big legitimate pickle could come near. */
    @Test
    void aVimTinyTrainingPickleUsesWellUnderThePerByteRates() throws IOException {
        byte[] pkl = Files.readAllBytes(Fixtures.path("pickles/vim_tiny_train.pkl"));
        RestrictedUnpickler u = new RestrictedUnpickler("f.pth", "data.pkl", MemorySegment.ofArray(pkl), STORAGE,
                new PickleBudget(Long.MAX_VALUE, Long.MAX_VALUE, "unbounded"));
        u.load();
        double work = (double) u.budget().workUsed() / pkl.length, memory = (double) u.budget().memoryUsed() / pkl.length;
        System.out.printf(Locale.ROOT, "budget vim_tiny_train per byte: work %.2f (rate %d), memory %.2f (rate %d)%n", work,
                PickleBudget.WORK_PER_BYTE, memory, PickleBudget.MEMORY_PER_BYTE);
        // Measured: 1.7 steps and 11 bytes per byte; the rates leave 19x and 3x headroom (and the base allowances
        // cover any pickle under a megabyte several times over).
        assertTrue(work < PickleBudget.WORK_PER_BYTE / 8.0 && memory < PickleBudget.MEMORY_PER_BYTE / 2.0, work + " " + memory);
    }

    /** The 211-second case: 50,000 tuple keys of one Java hash in one dict (1.3 MB as torch.save writes it). */
    @Test
    void fiftyThousandCollidingTupleKeysLoadInUnderTwoSeconds() {
        PickleBuilder b = new PickleBuilder(2).op('}');
        for (int start = 0; start < 50_000; start += 1000) {
            b.mark();
            for (int i = start; i < start + 1000; i++) {
                b.integer(i).integer((-31L * i) & 0xffffffffL).op(0x86).op('N');
            }
            b.op('u');
        }
        byte[] pkl = b.stop();
        Cost c = cost(() -> assertEquals(50_000, ((Map<?, ?>) RestrictedUnpicklerTest.unpickle(pkl)).size()));
        System.out.println("budget colliding tuple keys (" + pkl.length + " bytes): " + c);
        assertTrue(c.nanos() < 2_000_000_000L && c.allocated() < 256L << 20, c.toString());
    }

    /** t_k = (t_k-1, t_k-1): 2^60 leaves as one key, and two equal such DAGs built apart as two keys. */
    @Test
    void sharedTupleDagsAsKeysCostOneLevel() {
        Cost c = cost(() -> {
            Map<?, ?> one = (Map<?, ?>) RestrictedUnpicklerTest.unpickle(dag(new PickleBuilder(2).op('}'), 0).op('K', 1, 's').stop());
            assertEquals(1, one.size());
            String dup = RestrictedUnpicklerTest.error(dag(dag(new PickleBuilder(2).op('}'), 0).op('K', 1, 's'), 100).op('K', 2, 's').stop());
            assertTrue(dup.contains("duplicate key tuple of 2 in a dict"), dup);
        });
        assertTrue(c.nanos() < 2_000_000_000L, c.toString());
    }

    static PickleBuilder dag(PickleBuilder b, int memo) {
        b.op(')', 'r').u32(memo).op('0');
        for (int level = 1; level <= 60; level++) {
            b.op('j').u32(memo + level - 1).op('j').u32(memo + level - 1).op(0x86, 'r').u32(memo + level).op('0');
        }
        return b.op('j').u32(memo + 60);
    }

    /** Allow-listed calls that copy a memoised value, a million times over: refused by a budget, not an OOM. */
    @Test
    void copiesOfMemoisedValuesAreCharged() {
        String[][] calls = {
            {"builtins", "set", "list"}, {"builtins", "bytearray", "bytes"}, {"_codecs", "encode", "str"},
            {"collections", "OrderedDict", "pairs"},
        };
        for (String[] call : calls) {
            PickleBuilder b = new PickleBuilder(3).global(call[0], call[1]).op('q', 1, '0');
            switch (call[2]) {
                case "list" -> b.op(']', 'q', 2, '(').raw("N".repeat(100_000).getBytes()).op('e', '0');
                case "bytes" -> b.op('B').u32(1 << 20).raw(new byte[1 << 20]).op('q', 2, '0');
                case "str" -> b.str("x".repeat(1 << 20)).op('q', 2, '0').str("latin1").op('q', 3, '0');
                default -> {
                    b.op(']', 'q', 2);
                    for (int i = 0; i < 100_000; i += 1000) {
                        b.mark();
                        for (int j = i; j < i + 1000; j++) {
                            b.op(']').str("k" + j).op('a', 'N', 'a');
                        }
                        b.op('e');
                    }
                    b.op('0');
                }
            }
            b.op(']');
            for (int i = 0; i < 100_000; i += 1000) {
                b.mark();
                for (int j = 0; j < 1000; j++) {
                    b.op('h', 1, 'h', 2);
                    if (call[2].equals("str")) {
                        b.op('h', 3, 0x86);
                    } else {
                        b.op(0x85);
                    }
                    b.op('R');
                }
                b.op('e');
            }
            byte[] pkl = b.stop();
            String[] msg = new String[1];
            Cost c = cost(() -> msg[0] = RestrictedUnpicklerTest.error(pkl));
            System.out.println("budget " + call[1] + " copies (" + pkl.length + " bytes): " + c + ": " + msg[0]);
            assertTrue(msg[0].contains("exceeds its memory budget") || msg[0].contains("exceeds its work budget"), msg[0]);
            assertTrue(c.nanos() < 2_000_000_000L && c.allocated() < 256L << 20, call[1] + ": " + c);
        }
    }

    @Test
    void budgetsCanBeRaisedByPropertyAndMalformedValuesAreRefused() {
        String old = System.getProperty(PickleBudget.MEMORY_PROPERTY);
        try {
            System.setProperty(PickleBudget.MEMORY_PROPERTY, "123");
            assertEquals(123, PickleBudget.forInput(1000).maxMemory());
            System.setProperty(PickleBudget.MEMORY_PROPERTY, "lots");
            String msg = assertThrows(VimException.class, () -> PickleBudget.forInput(1000)).getMessage();
            assertEquals("-Dvim4j.pickle.maxMemory=lots: expected a non-negative number of bytes", msg);
        } finally {
            if (old == null) {
                System.clearProperty(PickleBudget.MEMORY_PROPERTY);
            } else {
                System.setProperty(PickleBudget.MEMORY_PROPERTY, old);
            }
        }
        assertEquals(PickleBudget.BASE_MEMORY + 1000 * PickleBudget.MEMORY_PER_BYTE, PickleBudget.forInput(1000).maxMemory());
        assertEquals(Long.MAX_VALUE, PickleBudget.forInput(Long.MAX_VALUE / 2).maxWork(), "saturates");
    }

    /**
     * What {@code r} cost its thread: CPU time (the machines that run this suite are shared, so wall time would
     * measure the neighbours), wall time for the record, and heap allocated.
     */
    record Cost(long nanos, long wallNanos, long allocated) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.0f ms CPU (%.0f ms wall), %.1f MB allocated", nanos / 1e6, wallNanos / 1e6,
                    allocated / 1048576.0);
        }
    }

    static Cost cost(Runnable r) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] out = new long[3];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            long a0 = mx.getCurrentThreadAllocatedBytes();
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            r.run();
            out[1] = System.nanoTime() - t0;
            out[0] = mx.getCurrentThreadCpuTime() - c0;
            out[2] = mx.getCurrentThreadAllocatedBytes() - a0;
        });
        return new Cost(out[0], out[1], out[2]);
    }
}
