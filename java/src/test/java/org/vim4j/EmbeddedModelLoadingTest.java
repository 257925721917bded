package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VimModel#loadDefault} reads the embedded model from the jar into memory: loading it over and over leaves no
 * files behind, and it works where the temporary directory cannot be written (before: one temp file per load, kept
 * until the JVM exits, and a failure without a writable {@code java.io.tmpdir}).
 */
class EmbeddedModelLoadingTest {

    @Test
    void theEmbeddedModelHasNoFile() {
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults())) {
            assertNull(m.source(), "read from the jar, not from a copy on disk");
            assertEquals(10, m.labels().size());
        }
    }

    /**
     * A fresh JVM running vim4j-core from a jar (as users do: the model is then a jar entry, not a file) whose
     * java.io.tmpdir does not exist (and could not be created even by root): 21 loads, 21 answers, no files.
     */
    @Test
    void twentyOneLoadsCreateNoFilesAndNeedNoTemporaryDirectory(@TempDir Path tmp) throws Exception {
        Path blocker = Files.writeString(tmp.resolve("a-file"), "java.io.tmpdir points below this file");
        Path cache = Files.createDirectories(tmp.resolve("native-cache"));
        Path classes = Path.of(VimModel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = tmp.resolve("vim4j-core.jar");
        if (Files.isDirectory(classes)) { // running from target/classes: package them as the jar users get
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
        } else {
            Files.copy(classes, jar);
        }
        List<String> cp = new ArrayList<>(List.of(jar.toString()));
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!Path.of(e).toAbsolutePath().equals(classes.toAbsolutePath())) {
                cp.add(e);
            }
        }
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-Djava.io.tmpdir=" + blocker.resolve("tmp"), "-Dvim4j.native.cacheDir=" + cache,
                "-cp", String.join(File.pathSeparator, cp), LoadMany.class.getName(), "21"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish:\n" + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("loaded 21 times from jar:"), out);
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("a-file", "native-cache", "vim4j-core.jar"), s.map(f -> f.getFileName().toString()).sorted().toList(),
                    "nothing written beside the native cache");
        }
    }

    /** Child JVM: loads the embedded model {@code args[0]} times, classifying an all-black image each time. */
    public static final class LoadMany {
        public static void main(String[] args) {
            int n = Integer.parseInt(args[0]);
            String label = null;
            for (int i = 0; i < n; i++) {
                try (VimModel m = VimModel.loadDefault(VimOptions.defaults()); VimSession s = m.newSession()) {
                    float[] logits = s.logits(new float[28 * 28], 1, 28, 28);
                    int best = 0;
                    for (int k = 1; k < logits.length; k++) {
                        best = logits[k] > logits[best] ? k : best;
                    }
                    String l = m.labels().get(best);
                    if (label != null && !label.equals(l)) {
                        throw new AssertionError("load " + i + " answered " + l + ", the first " + label);
                    }
                    label = l;
                }
            }
            System.out.println("loaded " + n + " times from " + VimModel.class.getResource("VimModel.class").getProtocol() + ": "
                    + label);
        }
    }
}
