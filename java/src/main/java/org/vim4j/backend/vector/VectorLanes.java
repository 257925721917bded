package org.vim4j.backend.vector;

import java.lang.System.Logger.Level;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.vim4j.VimException;

/**
 * The one float species every Vector API kernel uses, chosen once per JVM.
 *
 * <p>It is a {@code static final} so C2 constant-folds it: a species read from a non-constant field
 * defeats intrinsification and every vector op falls back to boxed Java code (about 1000x slower).
 * {@code -Dvim4j.vectorBits=128|256|512} forces a width (the conformance suite runs all three);
 * otherwise the CPU's preferred width is used.
 */
final class VectorLanes {
    static final String BITS_PROPERTY = "vim4j.vectorBits";

    static final VectorSpecies<Float> F = choose(System.getProperty(BITS_PROPERTY));
    /** Floats per vector. */
    static final int LANES = F.length();
    /** Bytes per vector. */
    static final int BYTES = LANES * Float.BYTES;
    static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorLanes() {
    }

    private static VectorSpecies<Float> choose(String bits) {
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        VectorSpecies<Float> s = switch (bits.trim()) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new VimException("-D" + BITS_PROPERTY + "=" + bits + ": expected 128, 256 or 512");
        };
        if (s.vectorBitSize() > FloatVector.SPECIES_PREFERRED.vectorBitSize()) {
            System.getLogger("org.vim4j").log(Level.WARNING, "-D" + BITS_PROPERTY + "=" + bits
                    + " is wider than this CPU's " + FloatVector.SPECIES_PREFERRED.vectorBitSize()
                    + "-bit vectors: the Vector API will emulate it slowly");
        }
        return s;
    }
}
