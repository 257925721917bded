package org.vim4j.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;

import org.vim4j.VimException;

/**
 * Images to normalised CHW model inputs, following a {@link Preprocessing}.
 *
 * <p>Memory is bounded by the model's input size, whatever the image: the declared size is read from the header and
 * checked ({@link ImageLoader#checkSize}: pixel and aspect-ratio limits), then only the pixels the preprocessing
 * reads are decoded: the crop window's source region rather than the whole image, and with ImageIO source
 * subsampling when that region is more than {@value Plan#DECODE_FACTOR} times the output side (and more than
 * {@value Plan#MIN_DECODE_SIDE} pixels) on an axis. Crop first, then resize: the shorter-side resize is only ever
 * computed inside the crop window. Images that fit (sides up to 1,024 pixels; for a 224 ImageNet model, shorter side up
 * to about 1,000 whatever the longer) give exactly what a full decode, resize and centre crop give; larger ones are
 * subsampled first, which differs from a full-resolution resize by about a grey level.
 */
public final class ImageInput {
    /** The order of the colour samples of an interleaved pixel ({@link #fromPixels}). */
    public enum ChannelOrder {
        RGB,
        /** OpenCV's order, which Spark's image data source uses. */
        BGR
    }

    private ImageInput() {
    }

    /** A file (PNG, JPEG, BMP, GIF, TIFF) as {@code channels x size x size} floats. */
    public static float[] fromFile(Path file, Preprocessing p) {
        String name = file.toString();
        return finish(ImageLoader.decode(ImageLoader.open(file), name, p), name, p);
    }

    /** An encoded image held in memory (e.g. a row of Spark's binaryFile source); {@code name} is used in errors. */
    public static float[] fromBytes(byte[] encoded, String name, Preprocessing p) {
        if (encoded == null || encoded.length == 0) {
            throw new VimException(name + ": empty file (0 bytes), not an image");
        }
        return finish(ImageLoader.decode(new ByteArrayImageInputStream(encoded), name, p), name, p);
    }

    /**
     * An encoded image read from a stream (closed afterwards); ImageIO caches what it reads in a temporary file
     * (or memory, when its cache is off), never the decoded image.
     */
    public static float[] fromStream(InputStream stream, String name, Preprocessing p) {
        ImageInputStream in;
        try {
            in = ImageIO.createImageInputStream(stream);
        } catch (IOException e) {
            closeQuietly(stream);
            throw new VimException(name + ": cannot read: " + e.getMessage(), e);
        }
        if (in == null) {
            closeQuietly(stream);
            throw new VimException(name + ": cannot read the stream");
        }
        try {
            return finish(ImageLoader.decode(in, name, p), name, p);
        } finally {
            closeQuietly(stream);
        }
    }

    /** {@code channels x size x size} floats, ready for {@code VimSession.logits(x, 1, size, size)}. */
    public static float[] fromImage(BufferedImage img, Preprocessing p) {
        String name = "image";
        ImageLoader.checkSize(name, img.getWidth(), img.getHeight());
        Plan plan = Plan.of(img.getWidth(), img.getHeight(), p);
        float[] planes = ImageLoader.planes(img, p.channels(), name, plan.x(), plan.y(), plan.w(), plan.h(), plan.kx(),
                plan.ky());
        return apply(planes, plan, p);
    }

    /**
     * Decoded 8-bit pixels, interleaved row-major: {@code channels} = 1 (grey), 2 (grey, alpha), 3 (colour in
     * {@code order}) or 4 (colour, then alpha); alpha is dropped. {@code pixels} must hold exactly
     * {@code height x width x channels} bytes. Only the pixels the preprocessing reads are converted.
     */
    public static float[] fromPixels(byte[] pixels, int width, int height, int channels, ChannelOrder order,
            Preprocessing p) {
        return fromPixels(pixels, width, height, channels, order, "image", p);
    }

    /** As {@link #fromPixels(byte[], int, int, int, ChannelOrder, Preprocessing)}, naming the image in errors. */
    public static float[] fromPixels(byte[] pixels, int width, int height, int channels, ChannelOrder order, String name,
            Preprocessing p) {
        if (channels < 1 || channels > 4) {
            throw new VimException(name + ": wrong channel count: " + channels + " channels; expected 1 (grey), 2 (grey + "
                    + "alpha), 3 (colour) or 4 (colour + alpha)");
        }
        ImageLoader.checkSize(name, width, height);
        long need = (long) width * height * channels;
        if (pixels == null || pixels.length != need) {
            throw new VimException(name + ": " + (pixels == null ? 0 : pixels.length) + " bytes of pixel data for a " + width
                    + "x" + height + " image of " + channels + " channels, which needs " + need
                    + " (wrong channel count or size?)");
        }
        Plan plan = Plan.of(width, height, p);
        int c = p.channels();
        int dw = plan.decodedW(), dh = plan.decodedH(), n = dw * dh;
        float[] planes = new float[c * n];
        int ri = order == ChannelOrder.RGB ? 0 : 2, bi = 2 - ri;
        for (int yy = 0; yy < dh; yy++) {
            int y = plan.y() + yy * plan.ky();
            for (int xx = 0; xx < dw; xx++) {
                int x = plan.x() + xx * plan.kx();
                int at = (y * width + x) * channels, px = yy * dw + xx;
                if (channels <= 2) {
                    float v = pixels[at] & 0xff;
                    for (int ch = 0; ch < c; ch++) {
                        planes[ch * n + px] = v;
                    }
                } else {
                    ImageLoader.put(planes, px, n, c, pixels[at + ri] & 0xff, pixels[at + 1] & 0xff, pixels[at + bi] & 0xff);
                }
            }
        }
        return apply(planes, plan, p);
    }

    private static float[] finish(ImageLoader.Decoded d, String name, Preprocessing p) {
        BufferedImage img = d.image();
        float[] planes = ImageLoader.planes(img, p.channels(), name, 0, 0, img.getWidth(), img.getHeight(), 1, 1);
        return apply(planes, d.plan(), p);
    }

    /** Planes of the plan's decoded region to the normalised model input. */
    private static float[] apply(float[] planes, Plan plan, Preprocessing p) {
        int c = p.channels(), out = p.outputSize();
        float[] x = switch (plan.step()) {
            case FULL -> resizeAndCrop(planes, c, plan.srcW(), plan.srcH(), p);
            case WINDOW -> Resampler.resizeWindow(planes, c, plan.x(), plan.y(), plan.w(), plan.h(), plan.srcW(), plan.srcH(),
                    plan.resizedW(), plan.resizedH(), plan.left(), plan.top(), out, out);
            case CROP -> planes;
            case RESAMPLE -> plan.decodedW() == out && plan.decodedH() == out ? planes
                    : Resampler.resize(planes, c, plan.decodedW(), plan.decodedH(), out, out);
        };
        int n = out * out;
        for (int ch = 0; ch < c; ch++) {
            float m = p.mean()[ch], s = p.std()[ch];
            for (int i = ch * n; i < (ch + 1) * n; i++) {
                x[i] = (x[i] / 255f - m) / s;
            }
        }
        return x;
    }

    /** The whole (small) image through torchvision's Resize(shorter) and CenterCrop, or a resize to the output size. */
    static float[] resizeAndCrop(float[] planes, int c, int w, int h, Preprocessing p) {
        if (p.resizeShorter() > 0) {
            int nw, nh;
            if (w <= h) { // torchvision Resize(int): shorter side = size, longer = int(size * long / short)
                nw = p.resizeShorter();
                nh = (int) ((long) p.resizeShorter() * h / w);
            } else {
                nh = p.resizeShorter();
                nw = (int) ((long) p.resizeShorter() * w / h);
            }
            if (nw != w || nh != h) {
                planes = Resampler.resize(planes, c, w, h, nw, nh);
                w = nw;
                h = nh;
            }
        }
        int out = p.outputSize();
        if (p.cropSize() > 0 && (w >= out && h >= out)) {
            int top = (int) Math.rint((h - out) / 2.0), left = (int) Math.rint((w - out) / 2.0);
            float[] crop = new float[c * out * out];
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < out; y++) {
                    System.arraycopy(planes, (ch * h + top + y) * w + left, crop, (ch * out + y) * out, out);
                }
            }
            planes = crop;
        } else if (w != out || h != out) {
            planes = Resampler.resize(planes, c, w, h, out, out);
        }
        return planes;
    }

    private static void closeQuietly(InputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // a failed close of a stream we only read changes nothing
        }
    }
}
