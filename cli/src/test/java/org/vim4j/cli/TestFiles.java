package org.vim4j.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Files the commands under test read, copied out of vim4j-core's jars to real paths: the example images (core's
 * main resources) and the golden fixtures (core's test jar, written by tools/make_golden.py). The commands take
 * paths, and on the classpath these are jar entries or files depending on how far Maven got.
 */
final class TestFiles {
    private TestFiles() {
    }

    /** An example image of the embedded Fashion-MNIST model, copied into {@code dir} under its own name. */
    static Path example(String name, Path dir) throws IOException {
        return copy("/org/vim4j/examples/" + name, dir);
    }

    /** {@code golden/<name>/<file>} for each file, copied into {@code dir/<name>/}; the test is skipped if one is missing. */
    static Path golden(String name, Path dir, String... files) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        for (String f : files) {
            copy("/golden/" + name + "/" + f, d);
        }
        return d;
    }

    private static Path copy(String resource, Path dir) throws IOException {
        try (InputStream in = TestFiles.class.getResourceAsStream(resource)) {
            assumeTrue(in != null, resource + " missing (golden fixtures: run tools/make_golden.py)");
            Path p = Files.createDirectories(dir).resolve(resource.substring(resource.lastIndexOf('/') + 1));
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        }
    }
}
