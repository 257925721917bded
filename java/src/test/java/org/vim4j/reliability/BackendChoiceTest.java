package org.vim4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The backend choice is loud when it ends low: in a child JVM without the Vector API module and with the native library
 * skipped, {@code auto} ends on the scalar reference and says so at WARNING with the exact fixes; with
 * {@code -Dvim4j.backend.minimum=vector} loading fails instead, naming why each faster backend is unavailable.
 */
class BackendChoiceTest {
    /** Loads the embedded model with the automatic backend and prints {@code backend=<id>} or {@code error=<message>}. */
    public static final class Probe {
        public static void main(String[] args) {
            try (org.vim4j.VimModel m = org.vim4j.VimModel.loadDefault(org.vim4j.VimOptions.defaults().withThreads(1))) {
                System.out.println("backend=" + m.backend().id());
            } catch (org.vim4j.VimException e) {
                System.out.println("error=" + e.getMessage());
            }
        }
    }

    private static String run(String... props) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-Dvim4j.native.skip=true", "-Dvim4j.cuda.skip=true",
                "-Djava.util.logging.SimpleFormatter.format=%4$s: %5$s%n"));
        cmd.addAll(List.of(props));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void autoEndingOnScalarWarnsWithTheFix() throws Exception {
        String out = run();
        assertTrue(out.contains("backend=scalar"), out);
        assertTrue(out.contains("WARNING: vim4j backend scalar (auto"), out);
        assertTrue(out.contains("--add-modules jdk.incubator.vector"), out);
        assertTrue(out.contains("skipped vector: module jdk.incubator.vector is not loaded"), out);
    }

    @Test
    void aMinimumBackendFailsInsteadOfRunningSlowly() throws Exception {
        String out = run("-Dvim4j.backend.minimum=vector");
        assertTrue(out.contains("error=backend 'scalar' is below -Dvim4j.backend.minimum=vector"), out);
        assertTrue(out.contains("vector unavailable: module jdk.incubator.vector is not loaded"), out);
        assertTrue(out.contains("native unavailable: skipped"), out);
    }
}
