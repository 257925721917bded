package org.vim4j.io.json;

import java.nio.charset.StandardCharsets;

import org.vim4j.VimException;
import org.vim4j.fuzz.FuzzFiles;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** The strict JSON parser safetensors headers go through, on arbitrary text (deep nesting included). */
class JsonFuzzer {
    @FuzzTest(maxDuration = "3s")
    void json(byte[] data) {
        try {
            Json.parse(new String(data, StandardCharsets.UTF_8), "fuzz.json");
        } catch (VimException refused) {
            FuzzFiles.requireMessage(refused);
        }
    }
}
