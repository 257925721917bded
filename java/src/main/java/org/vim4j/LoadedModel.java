package org.vim4j;

import org.vim4j.kernel.Kernels;
import org.vim4j.model.VimWeights;

/**
 * What a session needs of its model: the placed weights, the backend's kernels, and the model's lifecycle gate (an
 * inference enters and exits; a closed model refuses). {@link VimModel} implements it; sessions see nothing else of it,
 * so the model creates sessions without the two depending on each other.
 */
interface LoadedModel {
    VimConfig config();

    Kernels kernels();

    VimWeights weights();

    /** Marks an inference as running; fails if the model is closed. Pairs with {@link #exit()}. */
    void enter();

    void exit();

    /** Throws {@link IllegalStateException} if the model is closed. */
    void checkOpen();

    /** A session (or anything the model tracks for closing) closed itself. */
    void forget(AutoCloseable session);
}
