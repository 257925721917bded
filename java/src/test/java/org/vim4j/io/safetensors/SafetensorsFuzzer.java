package org.vim4j.io.safetensors;

import org.vim4j.fuzz.FuzzFiles;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** {@code .safetensors} headers that lie (sizes, offsets, overlaps, dtypes, JSON). Seeds: {@code SafetensorsFuzzerInputs/}. */
class SafetensorsFuzzer {
    @FuzzTest(maxDuration = "6s")
    void safetensors(byte[] data) {
        FuzzFiles.parse(data, "fuzz.safetensors", p -> FuzzFiles.checkAndClose(SafetensorsReader.read(p)));
    }
}
