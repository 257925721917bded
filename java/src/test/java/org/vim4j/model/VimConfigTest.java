package org.vim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vim4j.VimConfig;
import org.vim4j.VimException;

class VimConfigTest {

    @Test
    void presetParameterCountsMatchTheOfficialModules() {
        // Exact counts of the official VisionMamba state dicts (docs/vim-spec.md §1).
        assertEquals(7_148_008L, VimConfig.tiny().parameterCount());
        assertEquals(7_250_344L, VimConfig.tinyPlus().parameterCount());
        assertEquals(25_796_584L, VimConfig.small().parameterCount());
        assertEquals(26_001_256L, VimConfig.smallPlus().parameterCount());
        assertEquals(97_598_440L, VimConfig.base().parameterCount());
    }

    @Test
    void presetShapes() {
        VimConfig t = VimConfig.tiny();
        assertEquals(14, t.nativeGrid());
        assertEquals(197, t.nativeTokens());
        assertEquals(384, t.dInner());
        assertEquals(12, t.dtRank());
        assertEquals(44, t.xProjOut());
        VimConfig tp = VimConfig.tinyPlus();
        assertEquals(27, tp.nativeGrid());
        assertEquals(730, tp.nativeTokens());
        assertEquals(48, VimConfig.base().dtRank());
        assertEquals(78, t.gridSize(1248)); // the paper's largest resolution: 6084 patches
    }

    @Test
    void presetsByName() {
        assertEquals(VimConfig.smallPlus(), VimConfig.preset("small+"));
        assertEquals(VimConfig.base(), VimConfig.preset("BASE"));
        VimException e = assertThrows(VimException.class, () -> VimConfig.preset("huge"));
        assertEquals("unknown model preset 'huge': expected tiny, tiny+, small, small+ or base", e.getMessage());
    }

    @Test
    void rejectsNonsense() {
        assertThrows(VimException.class, () -> VimConfig.of(224, 16, 0, 192, 24, 1000));
        assertThrows(VimException.class, () -> VimConfig.of(8, 16, 16, 192, 24, 1000));
        assertThrows(VimException.class, () -> VimConfig.tiny().gridSize(15));
    }
}
