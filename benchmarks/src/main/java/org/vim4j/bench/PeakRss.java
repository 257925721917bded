package org.vim4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's peak resident set (VmHWM in /proc/self/status), in bytes, or -1 where there is none. It only ever
 * grows, so it describes one workload only when that workload is the process's only one (the harness's single-point
 * runs); in a sweep it is the high-water mark so far.
 */
final class PeakRss {
    private PeakRss() {
    }

    static long bytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
