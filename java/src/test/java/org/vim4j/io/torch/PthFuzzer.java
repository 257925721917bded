package org.vim4j.io.torch;

import org.vim4j.fuzz.FuzzFiles;
import org.vim4j.io.checkpoint.CheckpointReader;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * A whole {@code .pth} through {@link CheckpointReader} (format sniffing, zip directory, pickle, storages,
 * strided copies), both entry-selection modes; whatever loads must be self-consistent (see {@link FuzzFiles}).
 * Seeds: the io fixtures, including the malicious ones ({@code PthFuzzerInputs/pth/}).
 */
class PthFuzzer {
    @FuzzTest(maxDuration = "8s")
    void pth(byte[] data) {
        FuzzFiles.parse(data, "fuzz.pth", p -> FuzzFiles.checkAndClose(CheckpointReader.read(p)));
        FuzzFiles.parse(data, "fuzz.pth", p -> FuzzFiles.checkAndClose(PthReader.read(p, "model_ema")));
    }
}
