package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Resource options have bounds: a thread count beyond a small multiple of the processors is a clear error. */
class OptionsBoundsTest {
    @Test
    void threadCountsAreBoundedByAMultipleOfTheProcessors() {
        int max = VimOptions.maxThreads();
        assertEquals(4 * Runtime.getRuntime().availableProcessors(), max);
        assertEquals(max, VimOptions.defaults().withThreads(max).threads());
        for (int bad : new int[] {-1, max + 1, 1000, Integer.MAX_VALUE}) {
            VimException e = assertThrows(VimException.class, () -> VimOptions.defaults().withThreads(bad));
            assertTrue(e.getMessage().contains("threads must be 0 (the default) to " + max), e.getMessage());
        }
    }
}
