package org.vim4j.io.pickle;

import org.vim4j.tensor.DType;

/**
 * What a {@link RestrictedUnpickler.PersistentLoader} returns for a persistent id that names a tensor storage. Only
 * such an object is accepted as the storage argument of {@code torch._utils._rebuild_tensor(_v2)}; the format that
 * embeds the pickle (torch's zip checkpoints) implements it and owns the storage's bytes.
 */
public interface PickleStorage {
    /** The storage key (how the pickle refers to it), for messages. */
    String key();

    /** The element type the persistent id declares. */
    DType dtype();
}
