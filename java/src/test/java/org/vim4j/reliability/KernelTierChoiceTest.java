package org.vim4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vim4j.backend.vector.KernelTier;

/**
 * The vector backend's tier choice end to end ({@link KernelTier}): a JVM without C2 picks the plain-Java kernels by
 * itself, names it in the backend detail (the log line, {@code vim4j info}), and its models answer bit for bit as this JVM's SIMD kernels do; the
 * property forces either tier. Child JVMs, because the tier is chosen once per JVM.
 */
class KernelTierChoiceTest {
    private static String[] simd;

    @BeforeAll
    static void simdAnswers() {
        assertEquals(KernelTier.SIMD, KernelTier.resolved(), "the test JVM runs C2, so its vector backend is SIMD");
        float[][] l = TierProbe.logits();
        simd = new String[] {TierProbe.bits(l[0]), TierProbe.bits(l[1])};
    }

    private static Map<String, String> probe(String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Xmx256m", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(jvmArgs));
        cmd.add(TierProbe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, p.exitValue(), "probe JVM exit status; output:\n" + out);
        Map<String, String> facts = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.matches("^(tier|detail|logits\\d)=.*")) {
                facts.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
        facts.put("output", out);
        return facts;
    }

    private static void sameBitsAsSimd(Map<String, String> got) {
        assertEquals(simd[0], got.get("logits0"), "embedded model\n" + got.get("output"));
        assertEquals(simd[1], got.get("logits1"), "random model with channel tails\n" + got.get("output"));
    }

    @Test
    void aJvmWithoutC2PicksThePlainTierAndAnswersTheSame() throws Exception {
        Map<String, String> c1 = probe("-XX:TieredStopAtLevel=1");
        assertEquals("PLAIN", c1.get("tier"), c1.get("output"));
        assertTrue(c1.get("detail").contains("plain-Java kernels"), "the backend detail names the tier:\n" + c1.get("output"));
        sameBitsAsSimd(c1);
    }

    @Test
    void thePropertyForcesEitherTier() throws Exception {
        Map<String, String> plain = probe("-D" + KernelTier.PROPERTY + "=plain");
        assertEquals("PLAIN", plain.get("tier"), plain.get("output"));
        sameBitsAsSimd(plain);
        Map<String, String> forced = probe("-XX:TieredStopAtLevel=1", "-D" + KernelTier.PROPERTY + "=simd");
        assertEquals("SIMD", forced.get("tier"), forced.get("output"));
        assertTrue(forced.get("detail").contains("Vector API kernels"), forced.get("output"));
    }
}
