package org.vim4j.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import org.vim4j.VimException;

/**
 * Writes an output file safely.
 * <ul>
 * <li>A regular file (or a new one) is written through a temporary sibling that is renamed over the target at the end,
 *     so a crash or error never leaves a half-written file under the real name (and a file currently memory-mapped from
 *     the same path stays intact until the rename). A new file gets the permissions the umask gives; a replaced file
 *     keeps its own.</li>
 * <li>A FIFO or a character device (e.g. {@code /dev/null}, a terminal, {@code /dev/stdout}) is written through: that
 *     is what naming it means, and replacing it with a regular file would break it (as root, even {@code /dev/null}).</li>
 * <li>Anything else is refused: a symbolic link (it could point anywhere; {@code /dev/*} and {@code /proc/self/fd/*}
 *     links such as {@code /dev/stdout} excepted), a directory, a block device, a socket.</li>
 * </ul>
 *
 * <p>Public for the format packages ({@code org.vim4j.io.*}); not an API.
 */
public final class AtomicFiles {
    /** Produces the file's bytes into an open channel. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    private static final int S_IFMT = 0170000, S_IFIFO = 0010000, S_IFCHR = 0020000;

    private AtomicFiles() {
    }

    public static void write(Path path, Body body) {
        Path target = path.toAbsolutePath().normalize();
        try {
            if (Files.isSymbolicLink(target)) {
                if (!target.startsWith("/dev") && !target.startsWith("/proc/self/fd")) {
                    throw new VimException(path + ": is a symbolic link; name the file it points to (vim4j does not write "
                            + "through links, which could point anywhere)");
                }
                if (!Files.exists(target)) {
                    throw new VimException(path + ": is a dangling symbolic link");
                }
            }
            if (Files.exists(target)) { // following /dev and /proc/self/fd links only, checked above
                if (Files.isDirectory(target)) {
                    throw new VimException(path + ": is a directory");
                }
                if (!Files.isRegularFile(target)) {
                    int type = (Integer) Files.getAttribute(target, "unix:mode") & S_IFMT;
                    if (type != S_IFIFO && type != S_IFCHR) {
                        throw new VimException(path + ": is neither a regular file, a FIFO nor a character device; "
                                + "refusing to write to it");
                    }
                    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
                        body.write(ch);
                    }
                    return;
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new VimException(path + ": cannot write: " + e.getMessage(), e);
        }
        replace(path, target, body);
    }

    /** Writes a regular file through a temporary sibling renamed over it. */
    private static void replace(Path path, Path target, Body body) {
        Path dir = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            Set<PosixFilePermission> keep = Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                    ? Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS) : null;
            // CREATE_NEW: never opens an existing file or follows a planted link, whatever the name; the name is
            // random only so that two writers rarely collide (ThreadLocalRandom: SecureRandom's provider set-up cost
            // 20 ms of a one-shot command). The mode is the default one, so the umask applies (Files.createTempFile
            // would force 0600).
            for (int attempt = 0; tmp == null; attempt++) {
                Path candidate = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36)
                        + ".tmp");
                try {
                    Files.newByteChannel(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                    tmp = candidate;
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    if (attempt > 8) {
                        throw e;
                    }
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                    LinkOption.NOFOLLOW_LINKS)) {
                body.write(ch);
                ch.force(false);
            }
            if (keep != null) {
                Files.setPosixFilePermissions(tmp, keep);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException | UnsupportedOperationException e) {
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
