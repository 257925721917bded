package org.vim4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vim4j.VimException;
import org.vim4j.bindings.vim4j_cuda_h;

/**
 * Status checks of the CUDA ABI: every status other than {@code VIM4J_CUDA_OK} becomes an exception carrying
 * {@code vim4j_cuda_last_error()} (the function, and for CUDA failures the CUDA error name and text), so no CUDA
 * error is ever silent and none aborts the process.
 */
public final class Cuda {
    private Cuda() {
    }

    /** Out of device memory: the message has the requested and free byte counts. */
    public static final class OutOfMemoryException extends VimException {
        private static final long serialVersionUID = 1L;

        OutOfMemoryException(String message) {
            super(message);
        }
    }

    /** The calling thread's last CUDA-library error message. */
    public static String lastError() {
        MemorySegment m = vim4j_cuda_h.vim4j_cuda_last_error();
        return m.equals(MemorySegment.NULL) ? "" : m.getString(0);
    }

    /** Throws unless {@code status} is OK; {@code what} names the operation for the message. */
    public static void check(int status, String what) {
        if (status == vim4j_cuda_h.VIM4J_CUDA_OK()) {
            return;
        }
        String msg = "CUDA backend: " + what + " failed: " + lastError();
        if (status == vim4j_cuda_h.VIM4J_CUDA_ERR_OUT_OF_MEMORY()) {
            throw new OutOfMemoryException(msg);
        }
        throw new VimException(msg);
    }

    /** Calls a creator that writes an address to an int64 out-parameter and returns it (checked). */
    static long create(String what, java.util.function.ToIntFunction<MemorySegment> call) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_LONG);
            check(call.applyAsInt(out), what);
            return out.get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
