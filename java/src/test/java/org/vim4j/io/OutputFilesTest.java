package org.vim4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;

/** Outputs never replace what is not a regular file, never follow a link out of place, and respect the umask. */
class OutputFilesTest {
    @TempDir
    Path dir;

    private static void write(Path p, String text) {
        AtomicFiles.write(p, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void aNewFileGetsTheUmaskModeAndAReplacedFileKeepsItsMode() throws Exception {
        Path reference = Files.createFile(dir.resolve("reference")); // default mode under this process's umask
        Path fresh = dir.resolve("fresh.npy");
        write(fresh, "one");
        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(fresh));
        Set<PosixFilePermission> own = PosixFilePermissions.fromString("rw-r-----");
        Files.setPosixFilePermissions(fresh, own);
        write(fresh, "two");
        assertEquals("two", Files.readString(fresh));
        assertEquals(own, Files.getPosixFilePermissions(fresh));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void aSymbolicLinkIsRefusedAndLeftAlone() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "keep");
        Path link = Files.createSymbolicLink(dir.resolve("out.npy"), victim);
        VimException e = assertThrows(VimException.class, () -> write(link, "evil"));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("keep", Files.readString(victim));
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.npy"), dir.resolve("nowhere"));
        assertThrows(VimException.class, () -> write(dangling, "x"));
        assertTrue(Files.notExists(dir.resolve("nowhere")));
    }

    @Test
    void aDirectoryIsRefused() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d"));
        VimException e = assertThrows(VimException.class, () -> write(d, "x"));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void devNullAndAFifoAreWrittenThroughNotReplaced() throws Exception {
        Path devNull = Path.of("/dev/null");
        write(devNull, "discarded");
        assertTrue(!Files.isRegularFile(devNull, LinkOption.NOFOLLOW_LINKS), "/dev/null is still a device");

        Path fifo = dir.resolve("pipe");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor(), "mkfifo");
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                return in.readAllBytes();
            } catch (java.io.IOException ex) {
                throw new RuntimeException(ex);
            }
        });
        write(fifo, "through the pipe");
        assertArrayEquals("through the pipe".getBytes(StandardCharsets.UTF_8), read.get());
        assertEquals(Integer.valueOf(0010000), (Integer) Files.getAttribute(fifo, "unix:mode") & 0170000, "still a FIFO");
    }
}
