package org.vim4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vim4j.VimException;

/**
 * Every colour model a user's file may have, written by PIL ({@code tools/make_fuzz_seeds.py}): each image is an 8x4
 * picture whose left half has grey level 60 and right half 200. vim4j must read the same levels PIL's
 * {@code convert('L')} / {@code convert('RGB')} would (what the reference pipeline feeds the model), or refuse.
 */
class ImageFormatsTest {
    @TempDir
    Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(ImageFormatsTest.class.getResource("/image/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gray8.png", "gray16.png", "gray_alpha.png", "rgba.png", "rgb16.png", "palette_trns.png",
        "gray.gif", "rgb.bmp", "gray.jpg", "rgb.jpg", "cmyk.jpg"})
    void everyColourModelGivesTheLevelsPilGives(String name) {
        var img = ImageLoader.read(fixture(name));
        assertEquals(8, img.getWidth());
        assertEquals(4, img.getHeight());
        // JPEG is lossy: a flat half survives within a level or two; lossless formats must be exact.
        float tol = name.endsWith(".jpg") ? 2f : 0f;
        for (int channels : new int[] {1, 3}) {
            float[] planes = ImageLoader.planes(img, channels);
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < 4; y++) {
                    for (int x = 0; x < 8; x++) {
                        float want = x < 4 ? 60f : 200f;
                        assertEquals(want, planes[(c * 4 + y) * 8 + x], tol, name + " channels=" + channels + " c" + c
                                + " (" + x + "," + y + ")");
                    }
                }
            }
        }
    }

    @Test
    void cmykIsConvertedLikePil() {
        // Values from PIL 9.4: Image.new('CMYK', (1, 1), (100, 50, 0, 30)).convert('RGB') == (137, 181, 225), and
        // (200, 10, 255, 128) gives (27, 122, 0).
        assertEquals(137, ImageLoader.cmykToRgb(100, 30));
        assertEquals(181, ImageLoader.cmykToRgb(50, 30));
        assertEquals(225, ImageLoader.cmykToRgb(0, 30));
        assertEquals(27, ImageLoader.cmykToRgb(200, 128));
        assertEquals(122, ImageLoader.cmykToRgb(10, 128));
        assertEquals(0, ImageLoader.cmykToRgb(255, 128));
    }

    /**
     * A complete, valid PNG of 10000 x 10000 grey pixels (100 MB decoded, ~100 KB on disk), over the default
     * 89,478,485-pixel limit: refused from its header, without decoding, so the thread allocates almost nothing.
     */
    @Test
    void aRealDecompressionBombIsRefusedBeforeDecoding() throws IOException {
        Path bomb = Files.write(tmp.resolve("bomb.png"), flatGrayPng(10_000, 10_000));
        assertTrue(Files.size(bomb) < 1 << 20, "the bomb is small on disk: " + Files.size(bomb));
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        VimException e = assertThrows(VimException.class, () -> ImageLoader.read(bomb));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage().contains("10000x10000 = 100000000 pixels, above the limit of 89478485"), e.getMessage());
        assertTrue(allocated < 16 << 20, "refusal allocated " + allocated + " bytes: the image was decoded");
    }

    @Test
    void jpegHeadersThatClaimHugeSizesAreRefused() throws IOException {
        // The SOF0 marker of a real JPEG patched to 65000 x 65000 (4.2 gigapixels).
        byte[] jpg = Files.readAllBytes(fixture("rgb.jpg"));
        int sof = -1;
        for (int i = 0; i + 1 < jpg.length; i++) {
            if ((jpg[i] & 0xff) == 0xff && (jpg[i + 1] & 0xff) == 0xc0) {
                sof = i;
                break;
            }
        }
        assertTrue(sof > 0, "fixture has a baseline SOF0 marker");
        jpg[sof + 5] = (byte) (65000 >> 8);
        jpg[sof + 6] = (byte) (65000 & 0xff);
        jpg[sof + 7] = (byte) (65000 >> 8);
        jpg[sof + 8] = (byte) (65000 & 0xff);
        Path p = Files.write(tmp.resolve("huge.jpg"), jpg);
        String msg = assertThrows(VimException.class, () -> ImageLoader.read(p)).getMessage();
        assertTrue(msg.contains("65000x65000") && msg.contains("decompression-bomb guard"), msg);
    }

    @Test
    void truncatedAndGarbledImagesAreRefusedWithTheFileName() throws IOException {
        for (String name : new String[] {"rgb.jpg", "gray16.png", "palette_trns.png", "gray.gif", "rgb.bmp"}) {
            byte[] good = Files.readAllBytes(fixture(name));
            for (int cut : new int[] {good.length / 2, 12}) {
                Path p = Files.write(tmp.resolve("cut" + cut + "_" + name), java.util.Arrays.copyOf(good, cut));
                try {
                    var img = ImageLoader.read(p);
                    // Some decoders fill a truncated tail rather than fail; then the image must still be usable.
                    ImageLoader.planes(img, 3);
                } catch (VimException e) {
                    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
                }
            }
        }
    }

    /** A PNG of w x h 8-bit grey pixels, all zero, IDAT deflated row by row (never the whole image in memory). */
    static byte[] flatGrayPng(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(new byte[] {8, 0, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(9))) {
            byte[] row = new byte[w + 1]; // filter byte 0 + w zero pixels
            for (int y = 0; y < h; y++) {
                z.write(row);
            }
        }
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] body) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(body.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        d.write(t);
        d.write(body);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(body);
        d.writeInt((int) crc.getValue());
    }
}
