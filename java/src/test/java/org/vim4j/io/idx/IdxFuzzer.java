package org.vim4j.io.idx;

import java.util.Arrays;

import org.vim4j.fuzz.FuzzFiles;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * An IDX label/image pair: the first input byte is the label file's length n, the next n bytes the label file,
 * the rest the image file, so one input mutates both headers and their agreement. Whatever loads must be
 * addressable everywhere its header says.
 */
class IdxFuzzer {
    @FuzzTest(maxDuration = "4s")
    void idx(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int n = Math.min(data[0] & 0xff, data.length - 1);
        byte[] labels = Arrays.copyOfRange(data, 1, 1 + n);
        byte[] images = Arrays.copyOfRange(data, 1 + n, data.length);
        java.nio.file.Path lab = FuzzFiles.write("fuzz-labels-idx1-ubyte", labels);
        FuzzFiles.parse(images, "fuzz-images-idx3-ubyte", img -> {
            IdxDataset d = IdxDataset.read(img, lab);
            if (d.count() > 0) {
                d.label(d.count() - 1);
                d.pixel(d.count() - 1, d.rows() - 1, d.cols() - 1);
            }
        });
        lab.toFile().delete();
    }
}
