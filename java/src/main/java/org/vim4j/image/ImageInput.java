package org.vim4j.image;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

/** Images to normalised CHW model inputs, following a {@link Preprocessing}. */
public final class ImageInput {
    private ImageInput() {
    }

    public static float[] fromFile(Path file, Preprocessing p) {
        return fromImage(ImageLoader.read(file), p);
    }

    /** {@code channels x size x size} floats, ready for {@code VimSession.logits(x, 1, size, size)}. */
    public static float[] fromImage(BufferedImage img, Preprocessing p) {
        int c = p.channels();
        int w = img.getWidth(), h = img.getHeight();
        float[] planes = ImageLoader.planes(img, c);
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
        int n = out * out;
        for (int ch = 0; ch < c; ch++) {
            float m = p.mean()[ch], s = p.std()[ch];
            for (int i = ch * n; i < (ch + 1) * n; i++) {
                planes[i] = (planes[i] / 255f - m) / s;
            }
        }
        return planes;
    }
}
