package org.vim4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vim4j.VimException;
import org.vim4j.io.checkpoint.CheckpointReader;

/**
 * Checkpoints that attack a parser's time and memory rather than its code (tools/make_hostile_files.py): hash
 * collisions, shared tuple DAGs as dict keys, allow-listed calls copying memoised values, a deflate bomb. Each must
 * load, or be refused with a message naming the budget, in under 2 s and 256 MB of allocation; and all of them in
 * a JVM of their own with a 256 MB heap. Before the budgets: 8-27 s for the collisions, no end for the DAGs, an
 * OutOfMemoryError (a stack trace, not a message) for every copy and for the bomb.
 */
class HostileFilesTest {
    static final long MAX_NANOS = 2_000_000_000L;
    static final long MAX_ALLOCATED = 256L << 20;

    static final String[][] CASES = {
        {"colliding_tuple_keys", "loads"},
        {"colliding_mixed_keys", "loads"},
        {"shared_tuple_key", "loads"},
        {"equal_tuple_keys", "duplicate key tuple of 2 in a dict"},
        {"set_copies", "it exceeds its "},
        {"bytearray_copies", "exceeds its memory budget: a 100000-byte bytearray copy"},
        {"encode_copies", "exceeds its memory budget: a 100000-byte encoded copy"},
        {"ordereddict_copies", "it exceeds its "},
        {"build_copies", "it exceeds its "},
        {"size_tuple_copies", "size has 100000 dimensions, more than 64"},
        {"deflated_bomb", "bytes compressed) needs 268,435,394 bytes, over the pickle's memory budget"},
    };

    /**
     * What reading {@code p} came to: "loads" or the refusal's message, with its cost to the reading thread: CPU
     * time (shared machines make wall time measure the neighbours; it is shown too) and heap allocated.
     */
    record Outcome(String result, long nanos, long wallNanos, long allocated) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.0f ms CPU (%.0f ms wall), %.1f MB allocated: %s", nanos / 1e6, wallNanos / 1e6,
                    allocated / 1048576.0, result);
        }
    }

    static Outcome read(Path p) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long a0 = mx.getCurrentThreadAllocatedBytes();
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        String result;
        try (StateDict sd = CheckpointReader.read(p)) {
            result = sd.names().equals(java.util.Set.of("w")) ? "loads" : "loads, but holds " + sd.names();
        } catch (VimException e) {
            result = e.getMessage();
        }
        long wall = System.nanoTime() - t0;
        return new Outcome(result, mx.getCurrentThreadCpuTime() - c0, wall, mx.getCurrentThreadAllocatedBytes() - a0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "colliding_tuple_keys", "colliding_mixed_keys", "shared_tuple_key", "equal_tuple_keys", "set_copies",
        "bytearray_copies", "encode_copies", "ordereddict_copies", "build_copies", "size_tuple_copies", "deflated_bomb",
    })
    void costsUnder2sAnd256MB(String name) {
        String expected = expected(name);
        Path p = Fixtures.path("hostile/" + name + ".pth");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Outcome first = read(p);
            Outcome second = first.nanos() <= MAX_NANOS ? first : read(p); // cold code (interpreted) gets a second try
            System.out.println("hostile " + name + ": " + first + (second == first ? "" : "; again: " + second));
            assertTrue(second.result().contains(expected), second.result());
            if (!expected.equals("loads")) {
                assertTrue(second.result().startsWith(p.toString()) && second.result().length() < 600, second.result());
            }
            assertTrue(second.nanos() <= MAX_NANOS, name + ": " + second);
            assertTrue(first.allocated() <= MAX_ALLOCATED, name + ": " + first);
        });
    }

    static String expected(String name) {
        for (String[] c : CASES) {
            if (c[0].equals(name)) {
                return c[1];
            }
        }
        throw new IllegalArgumentException(name);
    }

    /** All of them in one JVM whose heap is 256 MB: any OutOfMemoryError there would be a crash of the probe. */
    @Test
    void allOfThemInA256MBHeap() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        for (String[] c : CASES) {
            cmd.add(Fixtures.path("hostile/" + c[0] + ".pth").toString());
        }
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "probe did not finish:\n" + out);
        assertEquals(0, proc.exitValue(), out);
        assertFalse(out.contains("OutOfMemoryError") || out.contains("Exception"), out);
        for (String[] c : CASES) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(c[0] + ": ") && l.contains(c[1])), c[0] + ":\n" + out);
        }
    }

    /** The child JVM: reads each file given, one line per file. */
    public static final class Probe {
        public static void main(String[] args) {
            for (String a : args) {
                Path p = Path.of(a);
                String name = p.getFileName().toString().replace(".pth", "");
                System.out.println(name + ": " + read(p));
            }
        }
    }
}
