package org.vim4j.image;

/**
 * Which pixels of a {@code srcW x srcH} image a {@link Preprocessing} reads, decided from the image's declared size
 * before anything is decoded, so that decoding and preprocessing take memory bounded by the model's input size
 * however large or elongated the image is.
 *
 * <p>The region {@code [x, x + w) x [y, y + h)} is decoded with every {@code kx}-th column and {@code ky}-th row
 * (ImageIO source subsampling); at most {@link #budget} pixels on each axis are ever decoded: {@link #DECODE_FACTOR}
 * times the output side, and never less than {@link #MIN_DECODE_SIDE}. Images that fit are preprocessed exactly as a full decode, resize and crop would (bit-identical); larger ones are
 * subsampled first, which differs from a full-resolution resize by a little aliasing.
 */
record Plan(int srcW, int srcH, int x, int y, int w, int h, int kx, int ky, Step step, int resizedW, int resizedH,
        int left, int top) {

    /** The decoded region is at most this many output sides wide and high (16x the output pixels). */
    static final int DECODE_FACTOR = 4;
    /** ... but at least this many pixels, so that small models still see ordinary photos at full resolution. */
    static final int MIN_DECODE_SIDE = 1024;

    /** The most pixels decoded along one axis for an output of {@code out x out}. */
    static long budget(int out) {
        return Math.max((long) DECODE_FACTOR * out, MIN_DECODE_SIDE);
    }

    enum Step {
        /** The whole image, then resize/crop as {@link Preprocessing} says (small images only). */
        FULL,
        /** Crop first: the crop window of the shorter-side resize, computed from the window's source support only. */
        WINDOW,
        /** A plain centre crop of the source (no resize): only the crop is decoded. */
        CROP,
        /** The (subsampled) region resized straight to the output size. */
        RESAMPLE
    }

    /** Width of the decoded region after subsampling. */
    int decodedW() {
        return ceilDiv(w, kx);
    }

    int decodedH() {
        return ceilDiv(h, ky);
    }

    boolean subsampled() {
        return kx > 1 || ky > 1;
    }

    static Plan of(int srcW, int srcH, Preprocessing p) {
        int out = p.outputSize();
        long budget = budget(out);
        int r = p.resizeShorter();
        if (r > 0) {
            int nw, nh;
            if (srcW <= srcH) { // torchvision Resize(int): shorter side = r, longer = int(r * long / short)
                nw = r;
                nh = (int) Math.min(Integer.MAX_VALUE, (long) r * srcH / srcW);
            } else {
                nh = r;
                nw = (int) Math.min(Integer.MAX_VALUE, (long) r * srcW / srcH);
            }
            if (p.cropSize() > 0 && nw >= out && nh >= out) {
                int left = (int) Math.rint((nw - out) / 2.0), top = (int) Math.rint((nh - out) / 2.0);
                if (nw == srcW && nh == srcH) { // no resize: the crop itself
                    return new Plan(srcW, srcH, left, top, out, out, 1, 1, Step.CROP, nw, nh, left, top);
                }
                int[] sx = Resampler.support(srcW, nw, left, out), sy = Resampler.support(srcH, nh, top, out);
                if (sx[1] - sx[0] <= budget && sy[1] - sy[0] <= budget) {
                    return new Plan(srcW, srcH, sx[0], sy[0], sx[1] - sx[0], sy[1] - sy[0], 1, 1, Step.WINDOW, nw, nh, left,
                            top);
                }
                // Too large to decode exactly: the source rectangle the crop window shows, subsampled.
                int x0 = (int) Math.floor((double) left * srcW / nw), y0 = (int) Math.floor((double) top * srcH / nh);
                int x1 = (int) Math.min(srcW, Math.ceil((double) (left + out) * srcW / nw));
                int y1 = (int) Math.min(srcH, Math.ceil((double) (top + out) * srcH / nh));
                return resample(srcW, srcH, x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0), budget);
            }
            if ((long) srcW * srcH <= budget * budget && (long) nw * nh <= budget * budget) {
                return full(srcW, srcH);
            }
            return resample(srcW, srcH, 0, 0, srcW, srcH, budget);
        }
        if (p.cropSize() > 0 && srcW >= out && srcH >= out) {
            int left = (int) Math.rint((srcW - out) / 2.0), top = (int) Math.rint((srcH - out) / 2.0);
            return new Plan(srcW, srcH, left, top, out, out, 1, 1, Step.CROP, srcW, srcH, left, top);
        }
        if (srcW <= budget && srcH <= budget) {
            return full(srcW, srcH);
        }
        return resample(srcW, srcH, 0, 0, srcW, srcH, budget);
    }

    private static Plan full(int srcW, int srcH) {
        return new Plan(srcW, srcH, 0, 0, srcW, srcH, 1, 1, Step.FULL, srcW, srcH, 0, 0);
    }

    private static Plan resample(int srcW, int srcH, int x, int y, int w, int h, long budget) {
        int kx = (int) Math.max(1, (w + budget - 1) / budget), ky = (int) Math.max(1, (h + budget - 1) / budget);
        return new Plan(srcW, srcH, x, y, w, h, kx, ky, Step.RESAMPLE, srcW, srcH, 0, 0);
    }

    static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }
}
