package org.vim4j.image;

import java.awt.image.BufferedImage;

import org.vim4j.fuzz.FuzzFiles;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Image files through vim4j's loader and preprocessing (ImageIO decodes: PNG, JPEG, GIF, BMP, WBMP, TIFF).
 * ImageIO itself is not instrumented, so this is closer to guided random testing of the JDK's decoders; the
 * point is vim4j's contract around them: a decoded image or a VimException, never another exception or an
 * Error. Seeds: small PNG/JPEG/GIF/BMP files of every colour model ({@code ImageFuzzerInputs/image/}).
 */
class ImageFuzzer {
    @FuzzTest(maxDuration = "4s")
    void image(byte[] data) {
        FuzzFiles.parse(data, "fuzz.img", p -> {
            BufferedImage img = ImageLoader.read(p);
            ImageInput.fromImage(img, Preprocessing.grayscale(8, 0.5f, 0.25f));
            // The bounded path: header checks, region and subsampled decoding, crop-first resizing.
            ImageInput.fromFile(p, Preprocessing.imagenet(32));
        });
    }
}
