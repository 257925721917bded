package org.vim4j.io.pickle;

import java.util.Arrays;

/**
 * A tensor as {@code _rebuild_tensor_v2} describes it: a strided view into a {@link PickleStorage}, exactly as the
 * pickle states it. The arguments have been checked for type and rank only; whether the view fits its storage is
 * for the reader that owns the storage's bytes to check before it reads them.
 */
public final class PickleTensor {
    private final PickleStorage storage;
    private final long offset;
    private final long[] size;
    private final long[] stride;

    PickleTensor(PickleStorage storage, long offset, long[] size, long[] stride) {
        this.storage = storage;
        this.offset = offset;
        this.size = size;
        this.stride = stride;
    }

    public PickleStorage storage() {
        return storage;
    }

    /** The storage offset, in elements. */
    public long offset() {
        return offset;
    }

    public long[] size() {
        return size.clone();
    }

    /** Strides in elements, one per dimension of {@link #size()}. */
    public long[] stride() {
        return stride.clone();
    }

    @Override
    public String toString() {
        return "tensor" + Arrays.toString(size) + ":" + storage.dtype();
    }
}
