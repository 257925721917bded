package org.vim4j.io.npy;

import java.lang.foreign.Arena;

import org.vim4j.fuzz.FuzzFiles;
import org.vim4j.tensor.Tensor;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** {@code .npy} magic, versions, the Python-literal header, dtype/order/shape and data length. */
class NpyFuzzer {
    @FuzzTest(maxDuration = "4s")
    void npy(byte[] data) {
        FuzzFiles.parse(data, "fuzz.npy", p -> {
            try (Arena arena = Arena.ofConfined()) {
                Tensor t = Npy.read(p, arena);
                if (t.data().byteSize() != t.numel() * 4) {
                    throw new AssertionError(t + " holds " + t.data().byteSize() + " bytes");
                }
                t.toFloatArray();
            }
        });
    }
}
