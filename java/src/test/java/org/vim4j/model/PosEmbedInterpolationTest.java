package org.vim4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

class PosEmbedInterpolationTest {

    @Test
    void sameGridIsTheIdentity() {
        try (Arena a = Arena.ofConfined()) {
            int g = 5, d = 3, l = g * g + 1;
            MemorySegment src = a.allocate(l * d * 4L);
            for (int i = 0; i < l * d; i++) {
                src.setAtIndex(JAVA_FLOAT, i, (float) Math.sin(i * 0.37));
            }
            MemorySegment out = a.allocate(l * d * 4L);
            PosEmbedInterpolation.resample(src, g, d, out, g, g);
            for (int i = 0; i < l * d; i++) {
                assertEquals(src.getAtIndex(JAVA_FLOAT, i), out.getAtIndex(JAVA_FLOAT, i), 1e-6f);
            }
        }
    }

    @Test
    void constantGridStaysConstantAndClassRowMovesToTheNewMiddle() {
        try (Arena a = Arena.ofConfined()) {
            int g = 4, d = 2, l = g * g + 1, cls0 = 8;
            MemorySegment src = a.allocate(l * d * 4L);
            for (int t = 0; t < l; t++) {
                for (int c = 0; c < d; c++) {
                    src.setAtIndex(JAVA_FLOAT, t * d + c, t == cls0 ? 100f + c : 2f + c);
                }
            }
            int gh = 6, gw = 5, m = gh * gw, cls = m / 2;
            MemorySegment out = a.allocate((m + 1) * d * 4L);
            PosEmbedInterpolation.resample(src, g, d, out, gh, gw);
            for (int t = 0; t <= m; t++) {
                for (int c = 0; c < d; c++) {
                    // Keys' cubic weights sum to one, so a constant field is reproduced exactly.
                    assertEquals(t == cls ? 100f + c : 2f + c, out.getAtIndex(JAVA_FLOAT, t * d + c), 1e-5f, "token " + t);
                }
            }
        }
    }
}
