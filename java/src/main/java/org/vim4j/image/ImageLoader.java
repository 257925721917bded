package org.vim4j.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.vim4j.VimException;

/**
 * Reads PNG/JPEG (anything ImageIO decodes) defensively and turns it into 8-bit-range planes.
 *
 * <p>The declared size is checked from the header before decoding, so a small file declaring a huge image
 * (a decompression bomb) is refused without allocating it: the pixel limit is {@code -Dvim4j.maxImagePixels}
 * (default 89,478,485, PIL's) and the aspect-ratio limit {@code -Dvim4j.maxImageAspect} (default 100: a
 * 1x40000 strip is refused rather than stretched; it also bounds the decoders' row buffers). Grayscale (8 and 16
 * bit), palette, RGB (8 and 16 bit), CMYK JPEG and alpha images are handled; alpha is dropped and CMYK converted
 * as PIL's {@code convert('RGB')} does, since the official pipeline loads images that way. Other channel layouts
 * (e.g. a 2- or 5-colour TIFF) are refused as a wrong channel count.
 *
 * <p>{@link #read} decodes the whole image (bounded only by the pixel limit). {@link ImageInput}'s methods decode
 * only what the model's preprocessing needs, subsampled when that is large (see {@link Plan}), so their memory is
 * bounded by the model's input size.
 */
public final class ImageLoader {
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;
    public static final int DEFAULT_MAX_ASPECT = 100;
    /** Files up to this size are read into memory in one go before decoding; larger ones are streamed. */
    static final long SMALL_FILE = 1 << 20;

    private ImageLoader() {
    }

    public static long maxPixels() {
        return Long.getLong("vim4j.maxImagePixels", DEFAULT_MAX_PIXELS);
    }

    /** The largest accepted ratio of an image's longer side to its shorter side. */
    public static long maxAspect() {
        return Long.getLong("vim4j.maxImageAspect", DEFAULT_MAX_ASPECT);
    }

    /**
     * Refuses an image of {@code w x h} declared pixels that is empty, above the pixel limit or more elongated than
     * the aspect limit, with a message naming {@code name}.
     */
    public static void checkSize(String name, long w, long h) {
        if (w <= 0 || h <= 0) {
            throw new VimException(name + ": image has no pixels (" + w + "x" + h + ")");
        }
        if (w * h > maxPixels()) {
            throw new VimException(name + ": image is " + w + "x" + h + " = " + w * h + " pixels, above the limit of "
                    + maxPixels() + " (decompression-bomb guard; raise -Dvim4j.maxImagePixels if it is genuine)");
        }
        long lo = Math.min(w, h), hi = Math.max(w, h);
        if (hi > lo * maxAspect()) {
            throw new VimException(name + ": image is " + w + "x" + h + ", an aspect ratio of " + ratio(hi, lo)
                    + ":1, above the limit of " + maxAspect() + ":1 (too elongated to resize or crop meaningfully; "
                    + "raise -Dvim4j.maxImageAspect if it is genuine)");
        }
    }

    private static String ratio(long hi, long lo) {
        return hi % lo == 0 ? Long.toString(hi / lo) : String.format(java.util.Locale.ROOT, "%.1f", (double) hi / lo);
    }

    /** Decodes the whole image. Prefer {@link ImageInput#fromFile}, whose memory is bounded by the model input. */
    public static BufferedImage read(Path file) {
        String name = file.toString();
        return withReader(open(file), name, (reader, w, h) -> reader.read(0));
    }

    /** An image decoded for one preprocessing: the region of {@code plan}, subsampled as it says. */
    record Decoded(BufferedImage image, Plan plan) {
    }

    /**
     * Reads the header of the image in {@code in}, checks its size, plans what {@code p} needs of it and decodes only
     * that. Closes {@code in}.
     */
    static Decoded decode(ImageInputStream in, String name, Preprocessing p) {
        return withReader(in, name, (reader, w, h) -> {
            Plan plan = Plan.of((int) w, (int) h, p);
            ImageReadParam param = reader.getDefaultReadParam();
            if (plan.x() != 0 || plan.y() != 0 || plan.w() != w || plan.h() != h) {
                param.setSourceRegion(new java.awt.Rectangle(plan.x(), plan.y(), plan.w(), plan.h()));
            }
            if (plan.subsampled()) {
                param.setSourceSubsampling(plan.kx(), plan.ky(), 0, 0);
            }
            BufferedImage img = reader.read(0, param);
            if (img.getWidth() != plan.decodedW() || img.getHeight() != plan.decodedH()) {
                throw new VimException(name + ": decoder returned " + img.getWidth() + "x" + img.getHeight()
                        + " pixels for a requested " + plan.decodedW() + "x" + plan.decodedH());
            }
            return new Decoded(img, plan);
        });
    }

    /** An image input stream over a file, refusing missing and empty files with a clear message. */
    static ImageInputStream open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new VimException("image not found: " + file);
        }
        try {
            long size = Files.size(file);
            if (size == 0) {
                throw new VimException(file + ": empty file (0 bytes), not an image");
            }
            if (size <= SMALL_FILE) { // ImageIO's file stream is unbuffered: a system call per chunk and row
                return new ByteArrayImageInputStream(Files.readAllBytes(file));
            }
            ImageInputStream in = ImageIO.createImageInputStream(file.toFile());
            if (in == null) {
                throw new VimException(file + ": cannot open the file for reading");
            }
            return in;
        } catch (IOException e) {
            throw new VimException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface ReaderAction<T> {
        T apply(ImageReader reader, long width, long height) throws IOException;
    }

    /** Finds a reader for {@code in}, checks the declared size, runs {@code action}; every failure is a VimException. */
    private static <T> T withReader(ImageInputStream in, String name, ReaderAction<T> action) {
        try (in) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new VimException(name + ": not an image format this JVM can read (PNG, JPEG, BMP, GIF, TIFF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                checkSize(name, w, h);
                return action.apply(reader, w, h);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof VimException ve) {
                throw ve;
            }
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (why.contains("Unsupported Image Type")) {
                why = "unsupported colour model (CMYK/YCCK JPEGs cannot be decoded by ImageIO; convert to RGB)";
            }
            throw new VimException(name + ": cannot decode image: " + why, e);
        }
    }

    /**
     * The image as {@code channels} planes (1 = luma, 3 = RGB) of {@code height x width} floats in [0, 255],
     * plane-major. Grayscale sources keep their samples (16-bit scaled to 8-bit range); colour sources give
     * luma with PIL's ITU-R 601-2 weights.
     */
    public static float[] planes(BufferedImage img, int channels) {
        return planes(img, channels, "image", 0, 0, img.getWidth(), img.getHeight(), 1, 1);
    }

    private enum Layout { GRAY, CMYK, RGB }

    /** How the colour model's samples become grey or RGB; anything but grey, RGB-like or CMYK is refused. */
    private static Layout layout(BufferedImage img, String name) {
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        int type = cm.getColorSpace().getType(), n = cm.getNumColorComponents();
        if (n == 1 && type == ColorSpace.TYPE_GRAY && r.getNumBands() <= 2) {
            return Layout.GRAY;
        }
        if (n == 4 && type == ColorSpace.TYPE_CMYK && r.getNumBands() == 4 && cm.getComponentSize(0) == 8) {
            return Layout.CMYK;
        }
        if (n == 3 || (n == 4 && type == ColorSpace.TYPE_CMYK)) {
            return Layout.RGB; // RGB-like spaces, palettes and 16-bit CMYK convert through the colour model
        }
        throw new VimException(name + ": wrong channel count: the image has " + n + " colour channel(s)"
                + (cm.hasAlpha() ? " plus alpha" : "") + " in a colour space of type " + type + " (" + r.getNumBands()
                + " bands); vim4j reads grey (1), RGB (3) and CMYK (4) images, with or without alpha");
    }

    /**
     * Planes of the region {@code [x0, x0 + w) x [y0, y0 + h)} of {@code img}, every {@code kx}-th column and
     * {@code ky}-th row: {@code ceil(w / kx) x ceil(h / ky)} pixels per plane.
     */
    static float[] planes(BufferedImage img, int channels, String name, int x0, int y0, int w, int h, int kx, int ky) {
        Layout layout = layout(img, name);
        int dw = Plan.ceilDiv(w, kx), dh = Plan.ceilDiv(h, ky);
        int n = dw * dh;
        float[] out = new float[channels * n];
        Raster r = img.getRaster();
        int bits = img.getColorModel().getComponentSize(0);
        double grayScale = bits <= 8 ? 255.0 / ((1 << bits) - 1) : 255.0 / 65535.0;
        int[] px = new int[4];
        for (int yy = 0; yy < dh; yy++) {
            int y = y0 + yy * ky;
            for (int xx = 0; xx < dw; xx++) {
                int x = x0 + xx * kx;
                int p = yy * dw + xx;
                switch (layout) {
                    // CMYK (and YCCK, which the JPEG reader hands over as CMYK): getRGB would convert through a CMYK ICC
                    // profile, giving colours the reference pipeline (PIL's convert('RGB')) never sees. Convert as PIL does.
                    case CMYK -> {
                        r.getPixel(x, y, px);
                        put(out, p, n, channels, cmykToRgb(px[0], px[3]), cmykToRgb(px[1], px[3]), cmykToRgb(px[2], px[3]));
                    }
                    // read samples directly: getRGB would apply a linear-to-sRGB gamma to gray images
                    case GRAY -> {
                        float v = (float) (r.getSample(x, y, 0) * grayScale);
                        for (int c = 0; c < channels; c++) {
                            out[c * n + p] = v;
                        }
                    }
                    case RGB -> {
                        int rgb = img.getRGB(x, y);
                        put(out, p, n, channels, (rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff);
                    }
                }
            }
        }
        return out;
    }

    /** Stores an RGB pixel as RGB planes or, for one channel, as luma. */
    static void put(float[] out, int p, int n, int channels, int r, int g, int b) {
        if (channels == 3) {
            out[p] = r;
            out[n + p] = g;
            out[2 * n + p] = b;
        } else {
            out[p] = lumaOfRgb(r, g, b);
        }
    }

    /** PIL's {@code convert('L')} weights (ITU-R 601-2), before its rounding: the float stays exact. */
    private static float lumaOfRgb(int r, int g, int b) {
        return (r * 299 + g * 587 + b * 114) / 1000f;
    }

    /** One colour channel as PIL's cmyk2rgb computes it: {@code (255 - k) - c * (255 - k) / 255}, rounded its way. */
    static int cmykToRgb(int c, int k) {
        int nk = 255 - k;
        int t = c * nk + 128;
        return Math.clamp(nk - (((t >> 8) + t) >> 8), 0, 255);
    }
}
