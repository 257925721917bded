package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.vim4j.backend.Backends;

/**
 * The load's warm-up ({@link WarmUp}): chosen by option, else property, else QUICK; a STEADY warm-up runs forwards at
 * the model's resolution until it settles or hits its limits, says which, and leaves no trace in the model's answers.
 * (Its effect on a new JVM's first inferences is measured, not asserted: tools/FirstInferences.java, README "Cold
 * start".)
 */
class WarmUpTest {
    static final VimConfig SMALL = ModelLifecycleTest.SMALL;

    @Test
    void parsesItsLabelsAndNamesWhatItExpected() {
        for (WarmUp w : WarmUp.values()) {
            assertEquals(w, WarmUp.parse(" " + w.label().toUpperCase(java.util.Locale.ROOT) + " "));
        }
        VimException e = assertThrows(VimException.class, () -> WarmUp.parse("hot"));
        assertEquals("warm-up 'hot': expected none, quick or steady", e.getMessage());
        assertThrows(VimException.class, () -> WarmUp.parse(null));
    }

    @Test
    void optionThenPropertyThenQuick() {
        String saved = System.getProperty(WarmUp.PROPERTY);
        try {
            System.clearProperty(WarmUp.PROPERTY);
            assertEquals(WarmUp.QUICK, VimOptions.defaults().resolvedWarmUp());
            System.setProperty(WarmUp.PROPERTY, "steady");
            assertEquals(WarmUp.STEADY, VimOptions.defaults().resolvedWarmUp());
            assertEquals(WarmUp.NONE, VimOptions.defaults().withWarmUp(WarmUp.NONE).resolvedWarmUp());
            System.setProperty(WarmUp.PROPERTY, "always");
            VimException e = assertThrows(VimException.class,
                    () -> VimModel.random(SMALL, 1, VimOptions.defaults().withBackend(BackendKind.SCALAR)));
            assertEquals("-Dvim4j.warmup: warm-up 'always': expected none, quick or steady", e.getMessage());
        } finally {
            if (saved == null) {
                System.clearProperty(WarmUp.PROPERTY);
            } else {
                System.setProperty(WarmUp.PROPERTY, saved);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = BackendKind.class, names = {"SCALAR", "VECTOR", "NATIVE"})
    void steadyWarmUpRunsUntilSettledSaysSoAndChangesNoAnswer(BackendKind kind) {
        Assumptions.assumeTrue(Backends.isAvailable(kind), () -> kind + " backend unavailable here: "
                + Backends.unavailable().get(kind));
        VimOptions base = VimOptions.defaults().withBackend(kind).withThreads(2);
        float[] x = ModelLifecycleTest.image(1, 16, 16, 9);
        float[] cold;
        try (VimModel m = VimModel.random(SMALL, 3, base.withWarmUp(WarmUp.NONE)); VimSession s = m.newSession(1, 16, 16)) {
            cold = s.logits(x, 1, 16, 16);
        }
        WarmUpResult r;
        try (VimModel m = VimModel.random(SMALL, 3, base.withWarmUp(WarmUp.STEADY)); VimSession s = m.newSession(1, 16, 16)) {
            assertArrayEquals(cold, s.logits(x, 1, 16, 16), "a warmed model answers as a cold one, bit for bit");
            r = m.warmUpResult();
        }
        assertEquals(WarmUp.STEADY, r.mode());
        assertTrue(r.fastestNanos() > 0 && r.fastestNanos() <= r.nanos(), r::toString);
        // steady takes the cold window and three quiet ones; a stop at the limit, on a machine too busy to settle,
        // comes at the 20 s budget or the 100,000-forward cap
        assertTrue(r.steady() ? r.forwards() >= 4 : r.nanos() >= WarmUp.STEADY_BUDGET_SECONDS * 1e9
                || r.forwards() == 100_000, r::toString);
    }

    @ParameterizedTest
    @EnumSource(value = BackendKind.class, names = {"SCALAR", "VECTOR", "NATIVE"})
    void quickWarmUpRunsOneTinyForwardWhereTheBackendAsksForItAndNoneRunsNothing(BackendKind kind) {
        Assumptions.assumeTrue(Backends.isAvailable(kind), () -> kind + " backend unavailable here: "
                + Backends.unavailable().get(kind));
        VimOptions base = VimOptions.defaults().withBackend(kind);
        try (VimModel quick = VimModel.random(SMALL, 3, base.withWarmUp(WarmUp.QUICK));
                VimModel none = VimModel.random(SMALL, 3, base.withWarmUp(WarmUp.NONE))) {
            assertEquals(kind == BackendKind.NATIVE ? 1 : 0, quick.warmUpResult().forwards(), quick.warmUpResult()::toString);
            assertEquals(new WarmUpResult(WarmUp.NONE, 0, false, 0, 0), none.warmUpResult());
        }
    }
}
