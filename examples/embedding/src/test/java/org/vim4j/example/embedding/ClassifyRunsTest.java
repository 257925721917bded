package org.vim4j.example.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The example as users run it, each in a fresh JVM: from the class path and from the module path (same output), and
 * without {@code --enable-native-access} (it still runs, and the JDK prints no warnings because vim4j loads no native
 * code then). The only line on stderr besides vim4j's two INFO lines (the backend it chose, and how the load's warm-up
 * to steady state went) is the JDK's own notice that an incubator module (the Vector API) is in use.
 */
class ClassifyRunsTest {
    static final String MAIN = "org.vim4j.example.embedding.Classify";

    record Run(int exit, List<String> out, List<String> err) {
        String describe() {
            return "exit " + exit + "\nstdout:\n" + String.join("\n", out) + "\nstderr:\n" + String.join("\n", err);
        }

        String backendLine() {
            return err.stream().filter(l -> l.startsWith("INFO org.vim4j: vim4j backend")).findFirst().orElse("");
        }
    }

    static String path() throws IOException {
        String deps = Files.readString(Path.of(System.getProperty("example.runtimePathFile"))).trim();
        return System.getProperty("example.classes") + (deps.isEmpty() ? "" : File.pathSeparator + deps);
    }

    static Run run(List<String> jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djava.util.logging.config.file=" + System.getProperty("example.logging"));
        cmd.add("-Dvim4j.native.cacheDir=" + System.getProperty("example.nativeCache"));
        cmd.addAll(jvmArgs);
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the example did not finish: " + cmd);
        return new Run(p.exitValue(), out.lines().toList(), err.get().lines().toList());
    }

    static void ranWell(Run r) {
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.out().stream().anyMatch(l -> l.startsWith("sneaker.png: Sneaker")), r.describe());
        assertTrue(r.out().stream().anyMatch(l -> l.startsWith("bag.png: Bag")), r.describe());
        assertTrue(r.out().contains("worker 0: Sneaker, Bag") && r.out().contains("worker 1: Sneaker, Bag"), r.describe());
        for (String line : r.err()) {
            assertTrue(line.startsWith("INFO org.vim4j: ") || line.equals("WARNING: Using incubator modules: jdk.incubator.vector"),
                    "an unexpected line on stderr: '" + line + "'\n" + r.describe());
        }
        assertFalse(r.backendLine().isEmpty(), r.describe());
        assertFalse(r.backendLine().contains("no vim4j-native jar is visible"), "vim4j found its native jar:\n" + r.describe());
        assertTrue(r.err().stream().anyMatch(l -> l.matches("INFO org\\.vim4j: warm-up: (steady|not steady .*) after \\d+ "
                + "forwards at 28x28 in .*")), "the warm-up said how it went:\n" + r.describe());
    }

    @Test
    void theSameProgramRunsFromTheClassPathAndTheModulePath() throws Exception {
        Run cp = run(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", path(), MAIN));
        ranWell(cp);
        Run mp = run(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=org.vim4j,org.vim4j.bindings",
                "--module-path", path(), "-m", "org.vim4j.example.embedding/" + MAIN));
        ranWell(mp);
        assertEquals(cp.out(), mp.out(), "class path vs module path\n" + cp.describe() + "\n" + mp.describe());
        assertFalse(mp.backendLine().contains("native access is not enabled"), mp.describe());
    }

    /** A mixed setup: vim4j on the module path, its native jar left on the class path. vim4j still finds the jar. */
    @Test
    void theNativeJarIsFoundOnTheClassPathByAModule() throws Exception {
        List<String> modules = new ArrayList<>(), classes = new ArrayList<>();
        for (String e : path().split(File.pathSeparator)) {
            (e.contains("vim4j-native") || e.replace('\\', '/').contains("/native/target/classes") ? classes : modules).add(e);
        }
        assertEquals(1, classes.size(), "the native jar among " + modules);
        Run mixed = run(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=org.vim4j,org.vim4j.bindings",
                "--module-path", String.join(File.pathSeparator, modules), "-cp", classes.get(0),
                "-m", "org.vim4j.example.embedding/" + MAIN));
        ranWell(mixed);
    }

    /** No --enable-native-access: vim4j loads no native code, so the JDK has nothing to warn about, and it says why. */
    @Test
    void withoutNativeAccessItRunsWithoutWarnings() throws Exception {
        Run cp = run(List.of("--add-modules", "jdk.incubator.vector", "-cp", path(), MAIN));
        ranWell(cp);
        assertTrue(cp.backendLine().contains("native access is not enabled for the class path")
                && cp.backendLine().contains("--enable-native-access=ALL-UNNAMED"), cp.describe());
        Run mp = run(List.of("--add-modules", "jdk.incubator.vector", "--module-path", path(), "-m",
                "org.vim4j.example.embedding/" + MAIN));
        ranWell(mp);
        assertTrue(mp.backendLine().contains("--enable-native-access=org.vim4j,org.vim4j.bindings"), mp.describe());
    }
}
