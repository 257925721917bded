package org.vim4j;

import java.lang.foreign.MemorySegment;

import org.vim4j.model.StageObserver;

/** Test access to a session's internal hooks from other packages. */
public final class Sessions {
    private Sessions() {
    }

    /** {@link VimSession#runObserved}: a run that reports each stage's activations to {@code observer}. */
    public static void runObserved(VimSession s, OutputKind kind, MemorySegment input, int batch, int height, int width,
            MemorySegment output, StageObserver observer) {
        s.runObserved(kind, input, batch, height, width, output, observer);
    }
}
