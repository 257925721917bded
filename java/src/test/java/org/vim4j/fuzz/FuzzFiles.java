package org.vim4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.vim4j.VimException;
import org.vim4j.io.StateDict;
import org.vim4j.tensor.Tensor;

/**
 * Shared plumbing of the {@code *Fuzzer} targets: fuzz bytes become a real file (the readers map files,
 * and that path is what users hit), and the contract every parser must keep is checked in one place.
 *
 * <p>The contract: a hostile input either parses into something self-consistent or is refused with a
 * {@link VimException}. Anything else (another exception, an Error such as OutOfMemoryError or
 * StackOverflowError, a tensor whose memory disagrees with its shape) escapes to Jazzer as a finding.
 */
public final class FuzzFiles {
    /** The reader under test; any exception but VimException is a finding. */
    @FunctionalInterface
    public interface Reader {
        void read(Path file) throws Exception;
    }

    private static final ThreadLocal<Path> DIR = ThreadLocal.withInitial(FuzzFiles::tempDir);

    private FuzzFiles() {
    }

    /** tmpfs when there is one: a fuzzer writes a file per execution. */
    private static Path tempDir() {
        try {
            Path shm = Path.of("/dev/shm");
            Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "vim4j-fuzz")
                    : Files.createTempDirectory("vim4j-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code data} to a file named {@code name} and runs {@code reader} on it under the contract. */
    public static void parse(byte[] data, String name, Reader reader) {
        Path file = write(name, data);
        try {
            reader.read(file);
        } catch (VimException refused) {
            requireMessage(refused);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("checked exception escaped the reader: " + e, e);
        } finally {
            file.toFile().delete();
        }
    }

    public static Path write(String name, byte[] data) {
        Path file = DIR.get().resolve(name);
        try {
            Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        file.toFile().deleteOnExit();
        return file;
    }

    /** A refusal must say something: an empty or null message is a finding too. */
    public static void requireMessage(VimException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("VimException without a message", e);
        }
    }

    /**
     * What a successfully parsed state dict must satisfy: every tensor's memory is exactly its shape's size and
     * readable end to end, and after close every access throws IllegalStateException (never a crash).
     */
    public static void checkAndClose(StateDict sd) {
        Map<String, Tensor> tensors = sd.tensors();
        MemorySegment any = null;
        for (Tensor t : tensors.values()) {
            long expected = Math.multiplyExact(t.numel(), t.dtype().byteSize());
            MemorySegment m = t.data();
            if (m.byteSize() != expected) {
                throw new AssertionError("tensor '" + t.name() + "' " + t + " holds " + m.byteSize() + " bytes, shape needs " + expected);
            }
            long sum = 0;
            for (long i = 0; i < m.byteSize(); i++) {
                sum += m.get(ValueLayout.JAVA_BYTE, i);
            }
            if (t.numel() > 0 && t.dtype().isFloatingPoint()) {
                t.getFloat(t.numel() - 1);
            }
            if (m.byteSize() > 0) {
                any = m;
            }
            Blackhole.consume(sum);
        }
        sd.close();
        if (any != null) {
            try {
                any.get(ValueLayout.JAVA_BYTE, 0);
                throw new AssertionError("tensor memory still readable after StateDict.close()");
            } catch (IllegalStateException expected) {
                // the arena is closed: access is refused, not a crash
            }
        }
    }

    /** Keeps a computed value alive so reads are not optimised away. */
    static final class Blackhole {
        static volatile long sink;

        static void consume(long v) {
            sink += v;
        }
    }

}
