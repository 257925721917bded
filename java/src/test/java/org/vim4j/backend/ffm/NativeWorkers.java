package org.vim4j.backend.ffm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The native runtimes' worker threads, counted by name: libvim4j names every worker "vim4j-worker", and Linux lists
 * each thread of the process with its name under {@code /proc/self/task/<tid>/comm}. They are OS threads, invisible to
 * {@link Thread#getAllStackTraces()}.
 */
final class NativeWorkers {
    private NativeWorkers() {
    }

    /** Threads of this process named vim4j-worker, or -1 where there is no /proc/self/task. */
    static int count() {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        int n = 0;
        try (Stream<Path> all = Files.list(tasks)) {
            for (Path t : all.toList()) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().equals("vim4j-worker")) {
                        n++;
                    }
                } catch (IOException gone) {
                    // the thread ended while listing
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return n;
    }

    /** The count once it equals {@code expected}, or whatever it is after 5 s (a joined thread may linger briefly). */
    static int awaitCount(int expected) throws InterruptedException {
        int n = count();
        for (int i = 0; i < 500 && n != expected; i++) {
            Thread.sleep(10);
            n = count();
        }
        return n;
    }
}
