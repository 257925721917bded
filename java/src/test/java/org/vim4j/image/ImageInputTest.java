package org.vim4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;

class ImageInputTest {
    @TempDir
    Path tmp;

    static final Preprocessing GRAY = Preprocessing.grayscale(4, 0.5f, 0.25f);

    @Test
    void grayscale8And16BitPaletteAndAlphaGiveTheSameGrey() throws IOException {
        int v = 200;
        BufferedImage g8 = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage g16 = new BufferedImage(4, 4, BufferedImage.TYPE_USHORT_GRAY);
        BufferedImage argb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        byte[] level = {(byte) v};
        BufferedImage pal = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 1, level, level, level));
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                g8.getRaster().setSample(x, y, 0, v);
                g16.getRaster().setSample(x, y, 0, v * 257);
                argb.setRGB(x, y, (17 << 24) | (v << 16) | (v << 8) | v); // nearly transparent: alpha is dropped
                pal.getRaster().setSample(x, y, 0, 0);
            }
        }
        float want = (v / 255f - 0.5f) / 0.25f;
        for (BufferedImage img : new BufferedImage[] {g8, g16, argb, pal}) {
            Path f = tmp.resolve("img" + img.getType() + ".png");
            ImageIO.write(img, "png", f.toFile());
            float[] x = ImageInput.fromFile(f, GRAY);
            assertEquals(16, x.length);
            for (float e : x) {
                assertEquals(want, e, 1e-5f, "type " + img.getType());
            }
        }
    }

    @Test
    void imagenetTransformResizesTheShorterSideAndCropsTheCentre() {
        // 300x200 (w x h) with a left/right split: after resize to 384x256 and a 224 centre crop (offset 80),
        // the crop's left half comes from the image's left half.
        BufferedImage img = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 200; y++) {
            for (int x = 0; x < 300; x++) {
                img.setRGB(x, y, x < 150 ? 0x000000 : 0xffffff);
            }
        }
        Preprocessing p = Preprocessing.imagenet(224);
        float[] t = ImageInput.fromImage(img, p);
        assertEquals(3 * 224 * 224, t.length);
        float black = (0 - 0.485f) / 0.229f, white = (1 - 0.485f) / 0.229f;
        assertEquals(black, t[100 * 224 + 10], 1e-3f);
        assertEquals(white, t[100 * 224 + 214], 1e-3f);
        // the edge sits at x = 192 in the resized image, 112 in the crop: bicubic overshoot stays local
        assertTrue(t[100 * 224 + 104] < -1.5f && t[100 * 224 + 120] > 1.5f);
    }

    @Test
    void constantImagesStayConstantThroughResampling() {
        float[] src = new float[3 * 37 * 23];
        java.util.Arrays.fill(src, 123f);
        for (int[] out : new int[][] {{10, 7}, {100, 64}, {37, 23}}) {
            for (float v : Resampler.resize(src, 3, 37, 23, out[0], out[1])) {
                assertEquals(123f, v, 1e-3f);
            }
        }
    }

    @Test
    void decompressionBombIsRefusedFromTheHeader() throws IOException {
        Path bomb = tmp.resolve("bomb.png");
        Files.write(bomb, pngHeaderOnly(100_000, 100_000));
        VimException e = assertThrows(VimException.class, () -> ImageLoader.read(bomb));
        assertTrue(e.getMessage().contains("10000000000 pixels"), e.getMessage());
    }

    @Test
    void corruptAndMissingFilesAreClearErrors() throws IOException {
        Path junk = Files.writeString(tmp.resolve("junk.png"), "not a png at all");
        assertThrows(VimException.class, () -> ImageLoader.read(junk));
        VimException e = assertThrows(VimException.class, () -> ImageLoader.read(tmp.resolve("missing.jpg")));
        assertTrue(e.getMessage().contains("missing.jpg"));
        byte[] good = pngHeaderOnly(8, 8);
        Path truncated = tmp.resolve("truncated.png");
        Files.write(truncated, good); // header but no image data
        assertThrows(VimException.class, () -> ImageLoader.read(truncated));
    }

    /** A PNG signature and IHDR chunk declaring w x h 8-bit RGB, and nothing else. */
    static byte[] pngHeaderOnly(int w, int h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        DataOutputStream c = new DataOutputStream(chunk);
        c.writeBytes("IHDR");
        c.writeInt(w);
        c.writeInt(h);
        c.write(new byte[] {8, 2, 0, 0, 0});
        byte[] body = chunk.toByteArray();
        out.writeInt(body.length - 4);
        out.write(body);
        CRC32 crc = new CRC32();
        crc.update(body);
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }
}
