package org.vim4j.backend.vector;

import java.lang.management.ManagementFactory;
import java.util.Locale;

import com.sun.management.HotSpotDiagnosticMXBean;

import org.vim4j.VimException;

/**
 * Which code runs the vector backend's kernels: the Vector API ({@link #SIMD}) or their plain-Java twins
 * ({@link #PLAIN}).
 *
 * <p>Why two: the Vector API is fast only once C2 has compiled a kernel into vector instructions. Until then (and always
 * in a JVM without C2: {@code -XX:TieredStopAtLevel=1..3}, {@code -Xint}) every vector operation runs the API's boxed
 * Java fallback, about 100x slower than plain scalar Java, and C2 must spend seconds compiling both the kernels and that
 * fallback. A one-image {@code infer} on the vector backend spent 3-4 s that way on 2 cores (README "Cold start"). The
 * plain tier is ordinary scalar Java (arrays, {@link Math#fma}), which C1 compiles in milliseconds into code within a few
 * times of the SIMD kernels' steady state.
 *
 * <p>The twins compute exactly what the SIMD kernels compute, lane for lane: the same fused multiply-adds in the same
 * order, the same exp2, SiLU and softplus polynomials ({@link VectorMath}'s lane twins), the same pairwise lane sum of
 * RMSNorm at the species' width, and the same scalar code on channel tails. So a model answers bit for bit alike on
 * either tier (KernelTiersTest), and the choice is about speed only.
 *
 * <p>{@code -Dvim4j.vector.tier=auto|simd|plain}; auto (the default) takes PLAIN exactly when this JVM has no C2 to
 * compile the Vector API (read once from the HotSpot flags), else SIMD. The launcher runs one-shot vector commands with
 * C1 only and {@code plain}. Every precision has its twin (FP32, and BF16 and INT8 weights).
 */
public enum KernelTier {
    /** The Vector API kernels: fastest once C2 has compiled them. */
    SIMD,
    /** Their plain-Java twins: fast in the interpreter and under C1, bit-identical results. */
    PLAIN;

    public static final String PROPERTY = "vim4j.vector.tier";

    private static volatile KernelTier resolved;

    /** The tier of this JVM: {@code -Dvim4j.vector.tier}, or auto (PLAIN when no C2). Resolved once. */
    public static KernelTier resolved() {
        KernelTier t = resolved;
        if (t == null) {
            t = parse(System.getProperty(PROPERTY, "auto"));
            resolved = t;
        }
        return t;
    }

    /** {@code auto}, {@code simd} or {@code plain} (any case); anything else is an error naming the property. */
    static KernelTier parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto" -> jitCompilesVectors() ? SIMD : PLAIN;
            case "simd" -> SIMD;
            case "plain" -> PLAIN;
            default -> throw new VimException("-D" + PROPERTY + "=" + value + ": expected auto, simd or plain");
        };
    }

    /**
     * Whether this JVM's JIT includes C2, the compiler that turns Vector API calls into vector instructions: false with
     * {@code -Xint} or with tiered compilation stopped below level 4. A JVM that does not say (not HotSpot) is assumed
     * to compile them.
     */
    static boolean jitCompilesVectors() {
        try {
            HotSpotDiagnosticMXBean flags = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (flags == null) {
                return true;
            }
            if (!Boolean.parseBoolean(flags.getVMOption("UseCompiler").getValue())) {
                return false;
            }
            return !Boolean.parseBoolean(flags.getVMOption("TieredCompilation").getValue())
                    || Integer.parseInt(flags.getVMOption("TieredStopAtLevel").getValue()) >= 4;
        } catch (RuntimeException | LinkageError e) {
            return true; // no HotSpot flags to read (another VM, or jdk.management left out of a runtime image)
        }
    }

    /** For the backend's log line: what runs the kernels. */
    public String describe() {
        return this == SIMD ? "Vector API kernels" : "plain-Java kernels (the Vector API is slow without C2)";
    }
}
