package org.vim4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.backend.ffm.NativeLibrary;

/**
 * Native faults end to end, each in a fresh JVM running {@link FallbackProbe}: the library skipped, missing from
 * an explicit directory, corrupt, or capped to a lower ISA. A model loaded with the automatic backend must still
 * run and give the same answer (within the cross-backend tolerance); asking for NATIVE explicitly must fail with
 * a message that says why, never crash the JVM. NativeLibraryTest covers the loader's steps one by one; this
 * checks what a user of {@code VimModel} sees.
 */
class NativeFallbackTest {
    static final float TOL = 1e-4f;
    static Map<String, String> baseline;

    @TempDir
    Path tmp;

    @BeforeAll
    static void baseline() throws Exception {
        Assumptions.assumeTrue(NativeLibrary.status().available(),
                () -> "the native library is not available in this build, so there is nothing to fall back from: "
                        + NativeLibrary.status().reason());
        baseline = probe(List.of(), Map.of());
        assertEquals("native", baseline.get("auto"), baseline.toString());
    }

    static Map<String, String> probe(List<String> props, Map<String, String> env) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path")));
        String cache = System.getProperty(NativeLibrary.CACHE_DIR_PROPERTY);
        if (cache != null) {
            cmd.add("-D" + NativeLibrary.CACHE_DIR_PROPERTY + "=" + cache);
        }
        cmd.addAll(props);
        cmd.add(FallbackProbe.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("VIM4J_MAX_ISA");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, p.exitValue(), "probe JVM exit status (a crash would be 134 or similar); output:\n" + out);
        Map<String, String> facts = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.matches("^(native|auto|logits|forced)=.*")) {
                facts.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
        facts.put("output", out);
        return facts;
    }

    static void sameAnswer(Map<String, String> got) {
        String[] want = baseline.get("logits").split(" "), have = got.get("logits").split(" ");
        assertEquals(want.length, have.length, got.get("output"));
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.parseFloat(want[i]), Float.parseFloat(have[i]), TOL, "logit " + i + "\n" + got.get("output"));
        }
    }

    @Test
    void skippedLibraryFallsBackToVector() throws Exception {
        Map<String, String> f = probe(List.of("-Dvim4j.native.skip=true"), Map.of());
        assertEquals("vector", f.get("auto"), f.get("output"));
        sameAnswer(f);
        assertTrue(f.get("forced").contains("vim4j.native.skip"), f.get("output"));
    }

    @Test
    void missingLibraryInAnExplicitDirectoryFallsBackAndNamesTheDirectory() throws Exception {
        Map<String, String> f = probe(List.of("-Dvim4j.native.dir=" + tmp), Map.of());
        assertEquals("vector", f.get("auto"), f.get("output"));
        sameAnswer(f);
        assertTrue(f.get("forced").contains(tmp.toString()), f.get("output"));
    }

    @Test
    void corruptLibraryFallsBackAndNamesTheFile() throws Exception {
        Path lib = Files.write(tmp.resolve(System.mapLibraryName("vim4j")), "\u007fELF this is not a shared object".getBytes());
        Map<String, String> f = probe(List.of("-Dvim4j.native.dir=" + tmp), Map.of());
        assertEquals("vector", f.get("auto"), f.get("output"));
        sameAnswer(f);
        assertTrue(f.get("forced").contains(lib.toString()), f.get("output"));
    }

    @Test
    void cappedIsaRunsTheLowerTierWithTheSameAnswer() throws Exception {
        for (String cap : new String[] {"portable", "avx2"}) {
            Map<String, String> f = probe(List.of(), Map.of("VIM4J_MAX_ISA", cap));
            assertEquals("native", f.get("auto"), f.get("output"));
            String isa = f.get("native").split("\\|")[1];
            List<String> order = List.of("portable", "avx2", "avx512");
            assertTrue(order.indexOf(isa) <= order.indexOf(cap), "tier " + isa + " above cap " + cap);
            sameAnswer(f);
            assertTrue(f.get("forced").startsWith("ok"), f.get("output"));
        }
        // An unrecognised cap is documented as no cap: the best tier, not a failure.
        Map<String, String> f = probe(List.of(), Map.of("VIM4J_MAX_ISA", "sse9"));
        assertEquals(baseline.get("native"), f.get("native"));
        sameAnswer(f);
    }
}
