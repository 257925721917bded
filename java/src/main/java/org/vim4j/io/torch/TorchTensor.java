package org.vim4j.io.torch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.vim4j.VimException;
import org.vim4j.io.Shapes;
import org.vim4j.io.pickle.PickleTensor;
import org.vim4j.tensor.Tensor;

/**
 * A tensor as {@code _rebuild_tensor_v2} describes it (a {@link PickleTensor}: a strided view into a storage of this
 * checkpoint), until {@link #materialize} turns it into a {@link Tensor}, checking its geometry against the
 * storage first.
 */
final class TorchTensor {
    private final TorchStorage storage;
    private final long offset;
    private final long[] size;
    private final long[] stride;

    /** {@code t} as the unpickler built it; its storage is one of {@link PthReader}'s, i.e. a {@link TorchStorage}. */
    TorchTensor(PickleTensor t) {
        this.storage = (TorchStorage) t.storage();
        this.offset = t.offset();
        this.size = t.size();
        this.stride = t.stride();
    }

    /**
     * This tensor under {@code name}. A C-contiguous tensor is a zero-copy slice of its storage
     * (hence of the mapped file); any other strided view (a transpose, a column, an expand) is
     * copied into a contiguous block owned by {@code arena}, element type unchanged.
     *
     * @throws VimException if the shape, strides or offset are invalid or reach past the storage, or
     *         the copy would exceed {@code budget}
     */
    Tensor materialize(String name, Arena arena, CopyBudget budget) {
        String what = storage.file() + ": tensor '" + org.vim4j.io.pickle.PickleValues.abbreviate(name) + "'";
        if (size.length != stride.length) {
            throw new VimException(what + ": size " + Arrays.toString(size) + " and stride " + Arrays.toString(stride)
                    + " have different ranks");
        }
        if (size.length > Shapes.MAX_RANK) {
            throw new VimException(what + ": rank " + size.length + " exceeds " + Shapes.MAX_RANK);
        }
        if (offset < 0) {
            throw new VimException(what + ": negative storage offset " + offset);
        }
        for (int i = 0; i < size.length; i++) {
            if (size[i] < 0 || stride[i] < 0) {
                throw new VimException(what + ": negative size or stride (size " + Arrays.toString(size) + ", stride "
                        + Arrays.toString(stride) + ")");
            }
        }
        int es = storage.dtype().byteSize();
        long numel;
        long last = offset;
        try {
            numel = Tensor.numel(size);
            Math.multiplyExact(numel, es);
            for (int i = 0; i < size.length; i++) {
                if (size[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
                }
            }
        } catch (ArithmeticException e) {
            throw new VimException(what + ": size " + Arrays.toString(size) + " with stride " + Arrays.toString(stride)
                    + " and offset " + offset + " overflows 64-bit arithmetic");
        }
        if (numel > 0 && last >= storage.numel()) {
            throw new VimException(what + ": size " + Arrays.toString(size) + ", stride " + Arrays.toString(stride)
                    + ", offset " + offset + " reach element " + last + ", but storage '" + storage.key() + "' has only "
                    + storage.numel() + " elements");
        }
        MemorySegment bytes = storage.bytes();
        if (numel == 0) {
            return Tensor.wrap(name, storage.dtype(), bytes.asSlice(0, 0), size);
        }
        if (isContiguous()) {
            return Tensor.wrap(name, storage.dtype(), bytes.asSlice(offset * es, numel * es), size);
        }
        budget.take(numel * es, what);
        MemorySegment out = arena.allocate(numel * es, 64);
        copyStrided(bytes, out, es);
        return Tensor.wrap(name, storage.dtype(), out, size);
    }

    /** C order, ignoring dimensions of extent 1 whose stride torch leaves arbitrary. */
    private boolean isContiguous() {
        long expected = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= size[i];
        }
        return true;
    }

    /** Gathers the view in C order: an odometer over the outer dimensions, a strided run for the innermost. */
    private void copyStrided(MemorySegment src, MemorySegment dst, int es) {
        int rank = size.length;
        long inner = size[rank - 1];
        long innerStride = stride[rank - 1];
        long[] index = new long[rank];
        long dstPos = 0;
        long total = dst.byteSize();
        while (dstPos < total) {
            long base = offset;
            for (int d = 0; d < rank - 1; d++) {
                base += index[d] * stride[d];
            }
            if (innerStride == 1) {
                MemorySegment.copy(src, base * es, dst, dstPos, inner * es);
                dstPos += inner * es;
            } else {
                for (long j = 0; j < inner; j++) {
                    MemorySegment.copy(src, (base + j * innerStride) * es, dst, dstPos, es);
                    dstPos += es;
                }
            }
            for (int d = rank - 2; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
    }

    /**
     * Bytes that strided copies may still allocate while reading one file. A view whose strides
     * overlap (stride 0 from {@code expand}) can describe far more elements than its storage holds,
     * so without a bound a small hostile file could demand an enormous allocation. Real
     * checkpoints copy at most the size of their storages.
     */
    static final class CopyBudget {
        private long remaining;

        CopyBudget(long bytes) {
            this.remaining = bytes;
        }

        void take(long bytes, String what) {
            if (bytes > remaining) {
                throw new VimException(what + ": copying this strided view needs " + bytes + " bytes, more than the "
                        + remaining + " bytes left of this file's copy budget (an expanded or overlapping view?)");
            }
            remaining -= bytes;
        }
    }
}
