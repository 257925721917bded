package org.vim4j.kernel.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Host-to-device staging for one primitive {@link CudaKernels} call: copies the float ranges a kernel reads to the
 * device, and the ranges it writes back afterwards, then frees everything. Correctness only (the conformance and
 * per-stage golden tests): the fast path is the whole forward on the device ({@link CudaSession}).
 *
 * <p>Outputs are uploaded too before the kernel runs, so the parts of a strided range the kernel does not write
 * (leading-dimension padding) come back unchanged. Heap segments are copied through native memory (a CUDA copy
 * cannot read the Java heap). All copies run on the legacy default stream and are synchronised before returning.
 */
final class Staging implements AutoCloseable {
    private static final MemorySegment DEFAULT_STREAM = MemorySegment.NULL;

    private record Download(MemorySegment host, long byteOffset, MemorySegment device, long bytes) {
    }

    private final Arena host = Arena.ofConfined();
    private final DeviceArena device = DeviceArena.ofConfined();
    private final List<Download> downloads = new ArrayList<>();

    /** Device copy of floats {@code [off, off + floats)} of {@code src}. */
    MemorySegment in(MemorySegment src, long off, long floats) {
        long bytes = Math.max(floats, 1) * 4;
        MemorySegment d = device.allocate(bytes);
        if (floats > 0) {
            CudaStream.copy(d, nativeView(src, off * 4, floats * 4), floats * 4, DEFAULT_STREAM);
        }
        return d;
    }

    /** As {@link #in}, and copied back into {@code dst} by {@link #finish()}. */
    MemorySegment inOut(MemorySegment dst, long off, long floats) {
        MemorySegment d = in(dst, off, floats);
        downloads.add(new Download(dst, off * 4, d, floats * 4));
        return d;
    }

    /** A device buffer copied back into {@code dst} by {@link #finish()}; its initial content is undefined. */
    MemorySegment out(MemorySegment dst, long off, long floats) {
        MemorySegment d = device.allocate(Math.max(floats, 1) * 4);
        downloads.add(new Download(dst, off * 4, d, floats * 4));
        return d;
    }

    /** Waits for the kernel (its faults surface here) and copies every output back. */
    void finish() {
        CudaStream.synchronize(DEFAULT_STREAM);
        for (Download dl : downloads) {
            if (dl.bytes() == 0) {
                continue;
            }
            if (dl.host().isNative()) {
                CudaStream.copy(dl.host().asSlice(dl.byteOffset(), dl.bytes()), dl.device(), dl.bytes(), DEFAULT_STREAM);
                CudaStream.synchronize(DEFAULT_STREAM);
            } else {
                MemorySegment tmp = host.allocate(dl.bytes(), 64);
                CudaStream.copy(tmp, dl.device(), dl.bytes(), DEFAULT_STREAM);
                CudaStream.synchronize(DEFAULT_STREAM);
                MemorySegment.copy(tmp, 0, dl.host(), dl.byteOffset(), dl.bytes());
            }
        }
    }

    /** The range as native memory: itself when native, else a copy. Bounds-checked. */
    private MemorySegment nativeView(MemorySegment src, long byteOff, long bytes) {
        MemorySegment range = src.asSlice(byteOff, bytes);
        if (range.isNative()) {
            return range;
        }
        MemorySegment tmp = host.allocate(bytes, 64);
        MemorySegment.copy(range, 0, tmp, 0, bytes);
        return tmp;
    }

    @Override
    public void close() {
        try {
            device.close();
        } finally {
            host.close();
        }
    }
}
