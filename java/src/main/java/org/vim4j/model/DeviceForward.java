package org.vim4j.model;

import java.lang.foreign.Arena;

/**
 * A backend that runs the whole forward pass on a device (the CUDA backend) instead of the host loop in
 * {@link VimForward}: weights stay on the device, and each session gets a device context (workspace, stream,
 * captured graphs) whose memory belongs to the session's arena. {@code VimSession} asks once, when it is created;
 * runs that observe intermediate stages always take the host loop, which calls the backend kernel by kernel.
 */
public interface DeviceForward {
    /**
     * A device context for a session of at most {@code maxBatch} images of at most {@code maxTokens} tokens, freed
     * when {@code sessionArena} closes; null declines (the host loop runs).
     */
    DeviceSession openSession(VimWeights weights, Arena sessionArena, int maxBatch, int maxTokens);
}
