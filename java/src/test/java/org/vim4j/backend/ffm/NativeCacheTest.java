package org.vim4j.backend.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extraction cache does not grow by one directory per build forever, and cleaning it never takes what a JVM may be
 * using: only our directories (name and contents), never the one in use, the newest {@value NativeCache#KEEP_NEWEST},
 * or one used in the last day, and nothing at all while another JVM holds the cache's lock.
 */
class NativeCacheTest {
    static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

    /** A cache directory as extraction leaves it, last used {@code age} before {@link #NOW}. */
    static Path entry(Path root, String name, Duration age) throws IOException {
        Path d = Files.createDirectories(root.resolve(name));
        Files.writeString(d.resolve("libvim4j.so"), "lib " + name);
        Files.writeString(d.resolve("vim4j-native.properties"), "version=x\n");
        Files.setLastModifiedTime(d, FileTime.from(NOW.minus(age)));
        return d;
    }

    static Set<String> names(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(NativeCache.LOCK_FILE)).toList());
        }
    }

    static String hex(int i) {
        return String.format("%016x", i);
    }

    @Test
    void oldBuildsGoTheNewestAndRecentOnesStay(@TempDir Path root) throws IOException {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) { // 0-3 used in the last hours, 4-7 days or weeks ago
            String name = "0.1.0-SNAPSHOT-" + hex(i);
            entry(root, name, i < 4 ? Duration.ofHours(i + 1) : Duration.ofDays(2L + 7 * (i - 4)));
            all.add(name);
        }
        List<String> removed = NativeCache.clean(root, root.resolve(all.get(0)), NOW);
        assertEquals(Set.copyOf(all.subList(4, 8)), Set.copyOf(removed));
        // the newest three (0-2) and one beyond them used within the day (3)
        assertEquals(new TreeSet<>(all.subList(0, 4)), names(root));
    }

    @Test
    void theDirectoryInUseIsNeverRemovedHoweverOld(@TempDir Path root) throws IOException {
        for (int i = 0; i < 5; i++) {
            entry(root, "1.0-" + hex(i), Duration.ofDays(10 + i));
        }
        Path inUse = entry(root, "0.9-" + hex(42), Duration.ofDays(400));
        NativeCache.clean(root, inUse, NOW);
        assertEquals(new TreeSet<>(List.of("1.0-" + hex(0), "1.0-" + hex(1), "1.0-" + hex(2), "0.9-" + hex(42))), names(root));
    }

    @Test
    void onlyOurOwnDirectoriesAreTouched(@TempDir Path root) throws IOException {
        for (int i = 0; i < 3; i++) {
            entry(root, "1.0-" + hex(i), Duration.ofDays(1 + i).plusHours(1));
        }
        Path foreign = entry(root, "1.0-" + hex(7), Duration.ofDays(30));
        Files.writeString(foreign.resolve("notes.txt"), "someone else's file");
        Path notOurName = entry(root, "backup-of-1.0", Duration.ofDays(30));
        Path shortHash = entry(root, "1.0-abc", Duration.ofDays(30));
        Path ours = entry(root, "1.0-" + hex(8), Duration.ofDays(30));
        Files.writeString(ours.resolve(".libvim4j.so.123.tmp"), "a temporary a killed JVM left");
        for (Path d : List.of(foreign, ours)) { // writing into them made them look used just now
            Files.setLastModifiedTime(d, FileTime.from(NOW.minus(Duration.ofDays(30))));
        }
        Path link = root.resolve("1.0-" + hex(9));
        Files.createSymbolicLink(link, notOurName);
        Files.writeString(root.resolve("1.0-" + hex(10)), "a file, not a directory");
        List<String> removed = NativeCache.clean(root, null, NOW);
        assertEquals(List.of("1.0-" + hex(8)), removed);
        assertTrue(Files.isDirectory(foreign) && Files.isDirectory(notOurName) && Files.isDirectory(shortHash));
        assertTrue(Files.isSymbolicLink(link) && Files.isRegularFile(notOurName.resolve("libvim4j.so")),
                "a link is not followed");
        assertFalse(names(root).stream().anyMatch(n -> n.startsWith(".deleting-")), "nothing half-deleted: " + names(root));
    }

    @Test
    void aCleanerThatDiedMidwayIsFinishedNextTime(@TempDir Path root) throws IOException {
        Path left = entry(root, ".deleting-1.0-" + hex(3) + "-12345", Duration.ofDays(3));
        Files.delete(left.resolve("vim4j-native.properties"));
        NativeCache.clean(root, null, NOW);
        assertFalse(Files.exists(left));
    }

    @Test
    void extractionMarksItsDirectoryAsUsed(@TempDir Path root) throws IOException {
        Path lib = NativeLibrary.extract(NativeLibraryTest.resources(NativeLibraryTest.LIB, "version=2.0\n"), root);
        Files.setLastModifiedTime(lib.getParent(), FileTime.from(Instant.now().minus(Duration.ofDays(30))));
        assertEquals(lib, NativeLibrary.extract(NativeLibraryTest.resources(NativeLibraryTest.LIB, "version=2.0\n"), root));
        assertTrue(Files.getLastModifiedTime(lib.getParent()).toInstant().isAfter(Instant.now().minus(Duration.ofMinutes(5))),
                "reusing a cached library counts as a use");
    }

    /** A JVM that is extracting or loading (holding the lock shared) stops any cleaning, even of old directories. */
    @Test
    void nothingIsCleanedWhileAnotherJvmHoldsTheLock(@TempDir Path root) throws Exception {
        for (int i = 0; i < 6; i++) {
            entry(root, "1.0-" + hex(i), Duration.ofDays(10 + i));
        }
        Process holder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), HoldLock.class.getName(), root.toString()).redirectErrorStream(true)
                .start();
        try {
            String line = new String(holder.getInputStream().readNBytes("locked\n".length()), StandardCharsets.UTF_8);
            assertEquals("locked\n", line, "the child JVM took the shared lock");
            assertEquals(List.of(), NativeCache.clean(root, null, NOW));
            assertEquals(6, names(root).size());
        } finally {
            holder.getOutputStream().close(); // the child exits when its stdin closes
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(3, NativeCache.clean(root, null, NOW).size(), "once the lock is free, cleaning proceeds");
        assertEquals(3, names(root).size());
    }

    /** Child JVM: holds the cache's shared lock until its stdin closes. */
    public static final class HoldLock {
        public static void main(String[] args) throws Exception {
            NativeCache.shared(Path.of(args[0]), () -> {
                System.out.print("locked\n");
                System.out.flush();
                try {
                    System.in.read();
                } catch (IOException e) {
                    // exit
                }
                return null;
            });
        }
    }
}
