package org.vim4j.io.pickle;

import java.lang.foreign.MemorySegment;

import org.vim4j.VimException;
import org.vim4j.fuzz.FuzzFiles;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the restricted pickle VM on raw bytes (no zip around it, so every mutation
 * reaches the opcode loop). Persistent ids resolve to themselves: a tensor rebuilt from a non-storage must
 * be refused like any other lie. Seeds: {@code PickleFuzzerInputs/pickle/}.
 */
class PickleFuzzer {
    @FuzzTest(maxDuration = "5s")
    void pickle(byte[] data) {
        try {
            Object root = new RestrictedUnpickler("fuzz.pth", "fuzz/data.pkl", MemorySegment.ofArray(data), pid -> pid).load();
            PickleValues.describe(root); // what error messages do with parsed values must not fail either
        } catch (VimException refused) {
            FuzzFiles.requireMessage(refused);
        }
    }
}
