package org.vim4j.model;

import java.lang.foreign.MemorySegment;

/** One session's device context (see {@link DeviceForward}); used by one thread at a time, like its session. */
public interface DeviceSession {
    /**
     * Runs {@code batch} NCHW images of {@code height x width} (patch grid {@code gh x gw}) from {@code input} and writes
     * the {@code kind} output to {@code output} exactly as the host path does. {@code posEmbed} is the host position
     * embedding for this grid ({@code (gh*gw+1, D)}), already resampled by the session.
     */
    void run(OutputKind kind, MemorySegment input, int batch, int gh, int gw, int height, int width, MemorySegment posEmbed,
            MemorySegment output);
}
