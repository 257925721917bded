package org.vim4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;

/**
 * Decoding and preprocessing take memory bounded by the model's input size, whatever the image: only the region the
 * preprocessing reads is decoded (crop first, then resize), subsampled when it is large; huge and extremely elongated
 * images are refused from their header. Images that fit give exactly what the full decode, resize and crop give.
 */
class BoundedDecodingTest {
    @TempDir
    Path tmp;

    static final Preprocessing IMAGENET = Preprocessing.imagenet(224);
    static final Preprocessing GRAY28 = Preprocessing.grayscale(28, 0.2860f, 0.3530f);
    static final Preprocessing CROP_ONLY = new Preprocessing(0, 32, 32, 3, new float[] {0.5f, 0.5f, 0.5f},
            new float[] {0.25f, 0.25f, 0.25f});
    static final Preprocessing RESIZE_NO_CROP = new Preprocessing(40, 0, 32, 3, new float[] {0.5f, 0.5f, 0.5f},
            new float[] {0.25f, 0.25f, 0.25f});

    /** The pre-bounding pipeline: the whole image's planes, resize the shorter side, centre crop, normalise. */
    static float[] reference(BufferedImage img, Preprocessing p) {
        int c = p.channels();
        float[] x = ImageInput.resizeAndCrop(ImageLoader.planes(img, c), c, img.getWidth(), img.getHeight(), p);
        int n = p.outputSize() * p.outputSize();
        for (int ch = 0; ch < c; ch++) {
            for (int i = ch * n; i < (ch + 1) * n; i++) {
                x[i] = (x[i] / 255f - p.mean()[ch]) / p.std()[ch];
            }
        }
        return x;
    }

    static BufferedImage noise(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        return img;
    }

    @Test
    void imagesWithinTheBudgetGiveExactlyTheFullResizeAndCrop() throws IOException {
        int[][] sizes = {{300, 200}, {200, 300}, {256, 256}, {500, 90}, {90, 500}, {37, 23}, {1000, 700}, {28, 28}, {1, 50}};
        Preprocessing[] pres = {IMAGENET, GRAY28, CROP_ONLY, RESIZE_NO_CROP, Preprocessing.imagenet(32)};
        for (int[] s : sizes) {
            BufferedImage img = noise(s[0], s[1], s[0] * 31L + s[1]);
            Path png = tmp.resolve(s[0] + "x" + s[1] + ".png");
            ImageIO.write(img, "png", png.toFile());
            byte[] bytes = Files.readAllBytes(png);
            byte[] rgb = interleaved(img, false), bgr = interleaved(img, true);
            for (Preprocessing p : pres) {
                String what = s[0] + "x" + s[1] + " " + p;
                float[] want = reference(img, p);
                assertArrayEquals(want, ImageInput.fromImage(img, p), what + " fromImage");
                assertArrayEquals(want, ImageInput.fromFile(png, p), what + " fromFile");
                assertArrayEquals(want, ImageInput.fromBytes(bytes, "x.png", p), what + " fromBytes");
                try (InputStream in = Files.newInputStream(png)) {
                    assertArrayEquals(want, ImageInput.fromStream(in, "x.png", p), what + " fromStream");
                }
                assertArrayEquals(want, ImageInput.fromPixels(rgb, s[0], s[1], 3, ImageInput.ChannelOrder.RGB, p), what + " rgb");
                assertArrayEquals(want, ImageInput.fromPixels(bgr, s[0], s[1], 3, ImageInput.ChannelOrder.BGR, p), what + " bgr");
            }
        }
    }

    static byte[] interleaved(BufferedImage img, boolean bgr) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = img.getRGB(x, y), i = (y * w + x) * 3;
                out[i + (bgr ? 2 : 0)] = (byte) (v >> 16);
                out[i + 1] = (byte) (v >> 8);
                out[i + (bgr ? 0 : 2)] = (byte) v;
            }
        }
        return out;
    }

    @Test
    void largeImagesAreSubsampledCloseToTheFullResize() throws IOException {
        // 2400x1600 is past the exact budget for a 224 crop (its crop window spans 1400 source pixels > 1024): it is
        // decoded every 2nd pixel. On smooth content that changes the result by about a grey level.
        int w = 2400, h = 1600;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (int) (127.5 + 127.5 * Math.sin(x / 90.0)), g = (int) (127.5 + 127.5 * Math.cos(y / 70.0)), b = (x + y) % 256;
                img.setRGB(x, y, r << 16 | g << 8 | (b < 128 ? b : 255 - b));
            }
        }
        Path png = tmp.resolve("large.png");
        ImageIO.write(img, "png", png.toFile());
        float[] want = reference(img, IMAGENET);
        float[] got = ImageInput.fromFile(png, IMAGENET);
        assertEquals(want.length, got.length);
        double sum = 0, max = 0;
        for (int i = 0; i < got.length; i++) {
            double d = Math.abs(got[i] - want[i]) * 0.229 * 255; // back to grey levels
            sum += d;
            max = Math.max(max, d);
        }
        double mean = sum / got.length;
        assertTrue(mean < 1 && max < 4, "subsampled decode differs by " + mean + " levels on average, " + max + " at most");
        assertArrayEquals(got, ImageInput.fromImage(img, IMAGENET), "in-memory images are subsampled the same way");
    }

    @Test
    void preprocessingAllocatesMemoryBoundedByTheOutputNotTheImage() throws IOException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // Decoded whole, these would need 4000*4000*4 bytes (64 MB) of image and 3x that of float planes.
        Path rgb = Files.write(tmp.resolve("rgb.png"), flatPng(4000, 4000, 2));
        Path gray = Files.write(tmp.resolve("gray.png"), flatPng(8000, 5000, 0));
        Path wide = Files.write(tmp.resolve("wide.png"), flatPng(20_000, 200, 2)); // 100:1, the largest accepted ratio
        Preprocessing[] all = {IMAGENET, GRAY28, CROP_ONLY, RESIZE_NO_CROP};
        for (Path p : List.of(rgb, gray, wide)) {
            for (Preprocessing pre : p == rgb ? all : new Preprocessing[] {IMAGENET, GRAY28}) {
                long before = threads.getCurrentThreadAllocatedBytes();
                float[] x = ImageInput.fromFile(p, pre);
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                assertEquals(pre.channels() * pre.outputSize() * pre.outputSize(), x.length);
                assertTrue(allocated < 40L << 20, p.getFileName() + " " + pre + " allocated " + allocated + " bytes");
            }
        }
    }

    @Test
    void hugeAndElongatedImagesAreRefusedFromTheHeader() throws IOException {
        byte[] strip = ImageInputTest.pngHeaderOnly(1, 40_000);
        byte[] huge = ImageInputTest.pngHeaderOnly(30_000, 30_000);
        Path stripFile = Files.write(tmp.resolve("strip.png"), strip);
        String m = assertThrows(VimException.class, () -> ImageInput.fromFile(stripFile, IMAGENET)).getMessage();
        assertTrue(m.contains("1x40000") && m.contains("aspect ratio of 40000:1") && m.contains("strip.png"), m);
        m = assertThrows(VimException.class, () -> ImageInput.fromBytes(strip, "s.png", GRAY28)).getMessage();
        assertTrue(m.startsWith("s.png: image is 1x40000"), m);
        m = assertThrows(VimException.class, () -> ImageInput.fromBytes(huge, "h.png", GRAY28)).getMessage();
        assertTrue(m.contains("30000x30000 = 900000000 pixels"), m);
        m = assertThrows(VimException.class, () -> ImageInput.fromPixels(new byte[40_000], 40_000, 1, 1,
                ImageInput.ChannelOrder.RGB, GRAY28)).getMessage();
        assertTrue(m.contains("aspect ratio"), m);
        m = assertThrows(VimException.class, () -> ImageLoader.read(stripFile)).getMessage();
        assertTrue(m.contains("aspect ratio"), m);
    }

    @Test
    void wrongChannelCountsAreRefused() throws IOException {
        String m = assertThrows(VimException.class, () -> ImageInput.fromPixels(new byte[5 * 16], 4, 4, 5,
                ImageInput.ChannelOrder.BGR, "five", IMAGENET)).getMessage();
        assertTrue(m.startsWith("five: wrong channel count: 5 channels"), m);
        m = assertThrows(VimException.class, () -> ImageInput.fromPixels(new byte[3 * 16], 4, 4, 4,
                ImageInput.ChannelOrder.BGR, "short", IMAGENET)).getMessage();
        assertTrue(m.contains("48 bytes of pixel data for a 4x4 image of 4 channels, which needs 64"), m);
        // A TIFF with five colour channels decodes, but is neither grey, RGB nor CMYK.
        ColorSpace five = new ColorSpace(ColorSpace.TYPE_5CLR, 5) {
            private static final long serialVersionUID = 1L;

            @Override
            public float[] toRGB(float[] v) {
                return new float[] {v[0], v[0], v[0]};
            }

            @Override
            public float[] fromRGB(float[] v) {
                return new float[5];
            }

            @Override
            public float[] toCIEXYZ(float[] v) {
                return new float[3];
            }

            @Override
            public float[] fromCIEXYZ(float[] v) {
                return new float[5];
            }
        };
        ComponentColorModel cm = new ComponentColorModel(five, new int[] {8, 8, 8, 8, 8}, false, false, Transparency.OPAQUE,
                DataBuffer.TYPE_BYTE);
        BufferedImage img = new BufferedImage(cm, cm.createCompatibleWritableRaster(4, 4), false, null);
        Path tiff = tmp.resolve("five.tif");
        assertTrue(ImageIO.write(img, "tiff", tiff.toFile()));
        m = assertThrows(VimException.class, () -> ImageInput.fromFile(tiff, IMAGENET)).getMessage();
        assertTrue(m.contains("five.tif: wrong channel count: the image has 5 colour channel(s)"), m);
    }

    @Test
    void emptyCorruptAndNonImageInputsAreClearErrors() throws IOException {
        Path empty = Files.write(tmp.resolve("empty.png"), new byte[0]);
        assertTrue(assertThrows(VimException.class, () -> ImageInput.fromFile(empty, GRAY28)).getMessage()
                .contains("empty.png: empty file (0 bytes)"));
        assertTrue(assertThrows(VimException.class, () -> ImageInput.fromBytes(new byte[0], "e", GRAY28)).getMessage()
                .startsWith("e: empty file"));
        String m = assertThrows(VimException.class, () -> ImageInput.fromBytes("hello".getBytes(), "t.txt", GRAY28)).getMessage();
        assertTrue(m.startsWith("t.txt: not an image format"), m);
        byte[] png = Files.readAllBytes(ImageFormatsTest.fixture("gray16.png"));
        m = assertThrows(VimException.class, () -> ImageInput.fromBytes(java.util.Arrays.copyOf(png, png.length / 2), "cut.png",
                GRAY28)).getMessage();
        assertTrue(m.startsWith("cut.png: cannot decode image"), m);
    }

    /**
     * The strongest form of the bound: a JVM with a 40 MB heap preprocesses an 8000x8000 grey and a 5000x5000 RGB PNG
     * (64 MB and 100 MB decoded) for a 224 ImageNet model and the 28x28 model, and refuses the declared-huge and
     * elongated ones, without an OutOfMemoryError.
     */
    @Test
    void aSmallHeapPreprocessesHugeImages() throws Exception {
        Path gray = Files.write(tmp.resolve("gray8000.png"), flatPng(8000, 8000, 0));
        Path rgb = Files.write(tmp.resolve("rgb5000.png"), flatPng(5000, 5000, 2));
        Path strip = Files.write(tmp.resolve("strip.png"), ImageInputTest.pngHeaderOnly(1, 40_000));
        Path huge = Files.write(tmp.resolve("huge.png"), ImageInputTest.pngHeaderOnly(30_000, 30_000));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx40m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), Child.class.getName()));
        for (Path p : List.of(gray, rgb, strip, huge)) {
            cmd.add(p.toString());
        }
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes());
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, proc.exitValue(), out);
        assertTrue(out.contains("gray8000.png ok 150528 784") && out.contains("rgb5000.png ok 150528 784"), out);
        assertTrue(out.contains("strip.png refused") && out.contains("huge.png refused"), out);
    }

    /** Preprocesses each file for ImageNet-224 and 28x28 grey in a small heap; prints {@code name ok n1 n2} or {@code refused}. */
    public static final class Child {
        public static void main(String[] args) {
            for (String a : args) {
                Path p = Path.of(a);
                try {
                    int n1 = ImageInput.fromFile(p, IMAGENET).length, n2 = ImageInput.fromFile(p, GRAY28).length;
                    System.out.println(p.getFileName() + " ok " + n1 + " " + n2);
                } catch (VimException e) {
                    System.out.println(p.getFileName() + " refused " + e.getMessage());
                }
            }
        }
    }

    /** A valid PNG of w x h zero pixels (colour type 0 = grey, 2 = RGB), deflated row by row: small on disk. */
    static byte[] flatPng(int w, int h, int colourType) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(new byte[] {8, (byte) colourType, 0, 0, 0});
        ImageFormatsTest.chunk(out, "IHDR", ihdr.toByteArray());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(9))) {
            byte[] row = new byte[1 + w * (colourType == 2 ? 3 : 1)];
            for (int y = 0; y < h; y++) {
                z.write(row);
            }
        }
        ImageFormatsTest.chunk(out, "IDAT", idat.toByteArray());
        ImageFormatsTest.chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }
}
