package org.vim4j.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.vim4j.VimException;

/**
 * Reads PNG/JPEG (anything ImageIO decodes) defensively and turns it into 8-bit-range planes.
 *
 * <p>The pixel count is checked from the header before decoding, so a small file declaring a huge image
 * (a decompression bomb) is refused without allocating it; the limit is {@code -Dvim4j.maxImagePixels}
 * (default 89,478,485, PIL's). Grayscale (8 and 16 bit), palette, RGB (8 and 16 bit), CMYK JPEG and alpha
 * images are handled; alpha is dropped and CMYK converted as PIL's {@code convert('RGB')} does, since the
 * official pipeline loads images that way.
 */
public final class ImageLoader {
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    private ImageLoader() {
    }

    public static long maxPixels() {
        return Long.getLong("vim4j.maxImagePixels", DEFAULT_MAX_PIXELS);
    }

    public static BufferedImage read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new VimException("image not found: " + file);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new VimException(file + ": not an image format this JVM can read (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w <= 0 || h <= 0) {
                    throw new VimException(file + ": image has no pixels (" + w + "x" + h + ")");
                }
                if (w * h > maxPixels()) {
                    throw new VimException(file + ": image is " + w + "x" + h + " = " + w * h + " pixels, above the limit of "
                            + maxPixels() + " (decompression-bomb guard; raise -Dvim4j.maxImagePixels if it is genuine)");
                }
                return reader.read(0);
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
            throw new VimException(file + ": cannot decode image: " + why, e);
        }
    }

    /**
     * The image as {@code channels} planes (1 = luma, 3 = RGB) of {@code height x width} floats in [0, 255],
     * plane-major. Grayscale sources keep their samples (16-bit scaled to 8-bit range); colour sources give
     * luma with PIL's ITU-R 601-2 weights.
     */
    public static float[] planes(BufferedImage img, int channels) {
        int w = img.getWidth(), h = img.getHeight();
        float[] out = new float[channels * w * h];
        Raster r = img.getRaster();
        boolean gray = img.getColorModel().getNumColorComponents() == 1 && img.getColorModel().getColorSpace().getType()
                == java.awt.color.ColorSpace.TYPE_GRAY && r.getNumBands() <= 2;
        int bits = img.getColorModel().getComponentSize(0);
        double grayScale = bits <= 8 ? 255.0 / ((1 << bits) - 1) : 255.0 / 65535.0;
        // CMYK (and YCCK, which the JPEG reader hands over as CMYK): getRGB would convert through a CMYK ICC
        // profile, giving colours the reference pipeline (PIL's convert('RGB')) never sees. Convert as PIL does.
        boolean cmyk = img.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_CMYK
                && r.getNumBands() == 4 && bits == 8;
        int[] px = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = y * w + x;
                if (cmyk) {
                    r.getPixel(x, y, px);
                    int rr = cmykToRgb(px[0], px[3]), gg = cmykToRgb(px[1], px[3]), bb = cmykToRgb(px[2], px[3]);
                    if (channels == 3) {
                        out[p] = rr;
                        out[w * h + p] = gg;
                        out[2 * w * h + p] = bb;
                    } else {
                        out[p] = lumaOfRgb(rr, gg, bb);
                    }
                } else if (gray) { // read samples directly: getRGB would apply a linear-to-sRGB gamma to gray images
                    float v = (float) (r.getSample(x, y, 0) * grayScale);
                    for (int c = 0; c < channels; c++) {
                        out[c * w * h + p] = v;
                    }
                } else {
                    int rgb = img.getRGB(x, y);
                    int rr = (rgb >> 16) & 0xff, gg = (rgb >> 8) & 0xff, bb = rgb & 0xff;
                    if (channels == 3) {
                        out[p] = rr;
                        out[w * h + p] = gg;
                        out[2 * w * h + p] = bb;
                    } else {
                        out[p] = lumaOfRgb(rr, gg, bb);
                    }
                }
            }
        }
        return out;
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
