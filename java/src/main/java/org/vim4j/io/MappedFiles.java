package org.vim4j.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.vim4j.VimException;

/**
 * Opening and memory-mapping input files, with errors that name the path, and the little-endian field
 * accessors every format reader shares. Public for the format packages ({@code org.vim4j.io.*}); not an API.
 */
public final class MappedFiles {
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MappedFiles() {
    }

    /**
     * Maps the whole file read-only into {@code arena}: the mapping lives until the arena closes,
     * so tensors can be zero-copy slices of it. Pages are only read when touched.
     */
    public static MemorySegment map(Path path, Arena arena) {
        requireRegularFile(path);
        // Storages are raw little-endian bytes read through native-order layouts.
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new VimException(path + ": vim4j reads little-endian tensor data and needs a little-endian CPU");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (NoSuchFileException e) {
            throw new VimException("file not found: " + path, e);
        } catch (IOException | UnsupportedOperationException e) {
            throw new VimException(path + ": cannot map file: " + e.getMessage(), e);
        }
    }

    public static void requireRegularFile(Path path) {
        if (!Files.exists(path)) {
            throw new VimException("file not found: " + path);
        }
        if (!Files.isRegularFile(path)) {
            throw new VimException(path + ": not a regular file");
        }
    }

    /** The first {@code n} bytes of a file (fewer if it is shorter), for format sniffing. */
    public static byte[] head(Path path, int n) {
        requireRegularFile(path);
        try (var in = Files.newInputStream(path)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new VimException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static int u16(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(U16, offset));
    }

    public static long u32(MemorySegment s, long offset) {
        return Integer.toUnsignedLong(s.get(I32, offset));
    }

    /** Hex dump of up to 16 bytes, for "what did the file start with" messages. */
    public static String hex(byte[] bytes) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, 16); i++) {
            if (i > 0) {
                b.append(' ');
            }
            b.append(String.format("%02x", bytes[i] & 0xff));
        }
        return b.toString();
    }
}
