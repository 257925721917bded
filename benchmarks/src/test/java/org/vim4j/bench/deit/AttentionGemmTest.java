package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The attention GEMM's vector path against its scalar loop, on shapes that hit every row and column tail. */
class AttentionGemmTest {
    @ParameterizedTest(name = "m={0} n={1} k={2} accumulate={3}")
    @CsvSource({"1,1,1,false", "4,32,8,false", "7,33,5,true", "9,70,64,false", "13,100,17,true", "64,197,64,false"})
    void vectorMatchesScalar(int m, int n, int k, boolean accumulate) {
        int lda = k + 3, ldb = n + 5, ldc = n + 2;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = random(arena, (long) m * lda + 1, 1), b = random(arena, (long) k * ldb + 2, 2);
            MemorySegment c1 = random(arena, (long) m * ldc + 3, 3), c2 = arena.allocate(c1.byteSize(), 64);
            c2.copyFrom(c1);
            AttentionGemm.nn(false, a, 1, lda, b, 2, ldb, c1, 3, ldc, m, n, k, accumulate);
            AttentionGemm.nn(true, a, 1, lda, b, 2, ldb, c2, 3, ldc, m, n, k, accumulate);
            for (long i = 0; i < c1.byteSize() / 4; i++) {
                assertEquals(c1.getAtIndex(JAVA_FLOAT, i), c2.getAtIndex(JAVA_FLOAT, i), 1e-4f * (1 + k), "element " + i);
            }
            // The padding between rows (ldc > n) and the 3 floats before C must be untouched.
            assertEquals(random(arena, 4, 3).getAtIndex(JAVA_FLOAT, 0), c2.getAtIndex(JAVA_FLOAT, 0));
        }
    }

    private static MemorySegment random(Arena arena, long n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
        }
        return s;
    }
}
