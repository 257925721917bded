package org.vim4j.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import org.vim4j.VimException;

/**
 * Writes a file through a temporary sibling that is renamed over the target at the end, so a
 * crash or error never leaves a half-written checkpoint under the real name (and a file that is
 * currently memory-mapped from the same path stays intact until the rename). Public for the format packages
 * ({@code org.vim4j.io.*}); not an API.
 */
public final class AtomicFiles {
    /** Produces the file's bytes into an open channel. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    private AtomicFiles() {
    }

    public static void write(Path path, Body body) {
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(false);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new VimException(path + ": cannot write: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error matters more than a stray temporary file
                }
            }
        }
    }

    /** Writes a memory segment of any size (a ByteBuffer view is limited to 2 GiB, so in chunks). */
    public static void writeSegment(FileChannel ch, MemorySegment segment) throws IOException {
        if (!segment.isNative()) {
            // Heap segments over int[]/float[] have no ByteBuffer view: stage them through a byte buffer.
            MemorySegment staging = MemorySegment.ofArray(new byte[(int) Math.min(segment.byteSize(), 1 << 20)]);
            for (long off = 0; off < segment.byteSize(); off += staging.byteSize()) {
                long n = Math.min(staging.byteSize(), segment.byteSize() - off);
                MemorySegment.copy(segment, off, staging, 0, n);
                writeFully(ch, staging.asSlice(0, n).asByteBuffer());
            }
            return;
        }
        long chunk = 1L << 30;
        for (long off = 0; off < segment.byteSize(); off += chunk) {
            writeFully(ch, segment.asSlice(off, Math.min(chunk, segment.byteSize() - off)).asByteBuffer());
        }
    }

    /** Writes the whole buffer (a channel may write less than asked in one call). */
    public static void writeFully(FileChannel ch, java.nio.ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
