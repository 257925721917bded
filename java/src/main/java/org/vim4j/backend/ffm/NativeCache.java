package org.vim4j.backend.ffm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The cache the bundled native libraries are extracted into: one directory {@code <root>/<version>-<sha16>/} per build
 * of the library (see {@link NativeLibrary}), and the rules that keep it from growing by one directory per build forever.
 *
 * <p>Between JVMs, a lock file {@code <root>/.lock} (an OS file lock): extracting a library and loading it hold the lock
 * shared, so any number of JVMs extract and load at once; cleaning takes it exclusively and only if it is free
 * ({@code tryLock}), so it never waits for, nor runs under, a JVM that is loading. Within a JVM one monitor serialises the
 * two (OS file locks belong to the process). Once loaded, a library no longer needs its file: Linux keeps a deleted
 * file's mapping, so JVMs that loaded from a directory later removed keep running.
 *
 * <p>Cleaning removes only directories named like ours ({@code <version>-<16 hex digits>}) that hold nothing but our
 * files, never the one this JVM uses, never one of the {@value #KEEP_NEWEST} most recently used, and never one used in the
 * last day (each use touches its directory). A directory is first renamed out of the way (an atomic rename to
 * {@code .deleting-...}), then deleted, so no JVM ever sees a half-deleted library under a directory's real name.
 */
final class NativeCache {
    static final String LOCK_FILE = ".lock";
    static final int KEEP_NEWEST = 3;
    static final Duration KEEP_RECENT = Duration.ofDays(1);
    static final Pattern ENTRY = Pattern.compile("[A-Za-z0-9._+-]+-[0-9a-f]{16}");
    private static final String DELETING = ".deleting-";
    private static final Set<String> OUR_FILES = Set.of(NativeLibrary.LIBRARY_FILE, "libvim4j_cuda.so",
            NativeLibrary.PROPERTIES_FILE);
    private static final Object JVM_LOCK = new Object();

    private NativeCache() {
    }

    /** Work done under the cache's shared lock. */
    interface Use<T> {
        T run() throws IOException;
    }

    /** Runs {@code action} holding the shared lock of {@code root} (created if missing): no JVM cleans meanwhile. */
    @SuppressWarnings("try") // the lock is held, not used
    static <T> T shared(Path root, Use<T> action) throws IOException {
        Files.createDirectories(root);
        synchronized (JVM_LOCK) {
            try (FileChannel ch = FileChannel.open(root.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE); FileLock lock = ch.lock(0, Long.MAX_VALUE, true)) {
                return action.run();
            }
        }
    }

    /** Marks {@code dir} as used now (its modification time), so that cleaning keeps it for a day. */
    static void touch(Path dir) throws IOException {
        Files.setLastModifiedTime(dir, FileTime.from(Instant.now()));
    }

    /**
     * Removes old cache directories under {@code root}, keeping {@code inUse} (may be null); skips everything when another
     * JVM holds the lock. Never throws: a cache that cannot be cleaned is left as it is. Returns the names removed.
     */
    @SuppressWarnings("try") // the lock is held, not used
    static List<String> clean(Path root, Path inUse, Instant now) {
        List<String> removed = new ArrayList<>();
        Path lockFile = root.resolve(LOCK_FILE);
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return removed;
        }
        synchronized (JVM_LOCK) {
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE); FileLock lock = ch.tryLock()) {
                if (lock == null) {
                    return removed; // another JVM is extracting or loading: clean another time
                }
                List<Path> entries = new ArrayList<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
                    for (Path p : ds) {
                        String name = p.getFileName().toString();
                        if (name.startsWith(DELETING) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && onlyOurFiles(p)) {
                            deleteTree(p); // left by a cleaner that died mid-way; nobody can be using it
                        } else if (ENTRY.matcher(name).matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                            entries.add(p);
                        }
                    }
                }
                entries.sort(Comparator.comparing(NativeCache::lastUsed).reversed());
                Instant recent = now.minus(KEEP_RECENT);
                for (int i = KEEP_NEWEST; i < entries.size(); i++) {
                    Path p = entries.get(i);
                    if (inUse != null && p.toAbsolutePath().normalize().equals(inUse.toAbsolutePath().normalize())) {
                        continue;
                    }
                    if (lastUsed(p).isAfter(recent) || !onlyOurFiles(p)) {
                        continue;
                    }
                    Path away = root.resolve(DELETING + p.getFileName() + "-" + System.nanoTime());
                    Files.move(p, away, StandardCopyOption.ATOMIC_MOVE);
                    deleteTree(away);
                    removed.add(p.getFileName().toString());
                }
            } catch (IOException | OverlappingFileLockException | UnsupportedOperationException e) {
                // best effort: a cache we cannot clean (read-only, locks unsupported) still works
            }
        }
        return removed;
    }

    private static Instant lastUsed(Path dir) {
        try {
            return Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant();
        } catch (IOException e) {
            return Instant.MAX; // unreadable: treat as in use
        }
    }

    /** Only our files (and our temporaries, {@code .<file>.<random>.tmp}): never delete a directory someone else filled. */
    private static boolean onlyOurFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.allMatch(f -> {
                String n = f.getFileName().toString();
                boolean ours = OUR_FILES.contains(n) || (n.startsWith(".") && n.endsWith(".tmp")
                        && OUR_FILES.stream().anyMatch(o -> n.startsWith("." + o + ".")));
                return ours && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS);
            });
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) { // does not follow symbolic links
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
