package org.vim4j.io.torch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.vim4j.VimException;
import org.vim4j.fuzz.FuzzFiles;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The hand-written zip central-directory reader on raw bytes, then every entry read both ways the
 * checkpoint reader reads them (stored slice, and small/inflated with CRC check). Each entry is judged on
 * its own: one refused entry must not hide a crash in the next. Seeds: {@code ZipFuzzerInputs/zip/}.
 */
class ZipFuzzer {
    @FuzzTest(maxDuration = "6s")
    void zip(byte[] data) {
        ZipDirectory zip;
        try {
            zip = ZipDirectory.read("fuzz.zip", MemorySegment.ofArray(data));
        } catch (VimException refused) {
            FuzzFiles.requireMessage(refused);
            return;
        }
        for (ZipDirectory.Entry e : zip.entries().values()) {
            try {
                MemorySegment s = zip.stored(e, "entry");
                if (s.byteSize() > 0) {
                    s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1); // the slice lies inside the file
                }
            } catch (VimException refused) {
                FuzzFiles.requireMessage(refused);
            }
            try {
                zip.small(e, 1 << 20, "entry");
            } catch (VimException refused) {
                FuzzFiles.requireMessage(refused);
            }
        }
    }
}
