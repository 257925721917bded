package org.vim4j.image;

/**
 * Separable bicubic resampling with antialiasing, the way PIL's {@code Image.resize(..., BICUBIC)} does it:
 * Keys' cubic (a = -0.5), pixel centres at +0.5, and when shrinking, the kernel's support widened by the
 * scale factor so every source pixel contributes (no aliasing). Works on float planes; PIL rounds to 8 bits
 * between passes, so results differ from PIL's by a fraction of one grey level.
 */
final class Resampler {
    private static final double A = -0.5;

    private Resampler() {
    }

    /** Resizes {@code channels} planes of {@code inW x inH} (plane-major) to {@code outW x outH}. */
    static float[] resize(float[] src, int channels, int inW, int inH, int outW, int outH) {
        return resizeWindow(src, channels, 0, 0, inW, inH, inW, inH, outW, outH, 0, 0, outW, outH);
    }

    /**
     * A window of a resize, computed without the rest of it: output pixels {@code [left, left + winW) x [top, top + winH)}
     * of resizing an {@code inW x inH} image to {@code outW x outH}, reading only the source pixels those outputs
     * depend on. {@code src} holds the source region {@code [srcX, srcX + srcW) x [srcY, srcY + srcH)}, which must
     * contain {@link #support}'s range on each axis. Every output pixel is computed with exactly the arithmetic of
     * the full resize, so resize-then-crop and this give bit-identical results; memory is bounded by the window and
     * the region, never by the whole resized image.
     */
    static float[] resizeWindow(float[] src, int channels, int srcX, int srcY, int srcW, int srcH, int inW, int inH,
            int outW, int outH, int left, int top, int winW, int winH) {
        Weights wx = weights(inW, outW, left, winW);
        Weights wy = weights(inH, outH, top, winH);
        int rowLo = wy.lo() - srcY, rows = wy.hi() - wy.lo(); // the source rows the vertical pass reads
        if (wx.lo() < srcX || wx.hi() > srcX + srcW || wy.lo() < srcY || wy.hi() > srcY + srcH) {
            throw new IllegalArgumentException("source region misses the window's support");
        }
        float[] tmp = new float[channels * winW * rows];
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < rows; r++) {
                int row = (c * srcH + rowLo + r) * srcW - srcX;
                for (int x = 0; x < winW; x++) {
                    double acc = 0;
                    double[] w = wx.w[x];
                    int first = wx.first[x];
                    for (int k = 0; k < w.length; k++) {
                        acc += w[k] * src[row + first + k];
                    }
                    tmp[(c * rows + r) * winW + x] = (float) acc;
                }
            }
        }
        float[] out = new float[channels * winW * winH];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < winH; y++) {
                double[] w = wy.w[y];
                int first = wy.first[y] - wy.lo();
                for (int x = 0; x < winW; x++) {
                    double acc = 0;
                    for (int k = 0; k < w.length; k++) {
                        acc += w[k] * tmp[(c * rows + first + k) * winW + x];
                    }
                    out[(c * winH + y) * winW + x] = (float) acc;
                }
            }
        }
        return out;
    }

    /**
     * The source range {@code [lo, hi)} that output pixels {@code [from, from + count)} of an {@code in -> out}
     * resize read.
     */
    static int[] support(int in, int out, int from, int count) {
        Weights w = weights(in, out, from, count);
        return new int[] {w.lo(), w.hi()};
    }

    /** Filter taps of output pixels {@code from .. from + count - 1}; tap k of pixel i reads source {@code first[i] + k}. */
    private record Weights(int[] first, double[][] w) {
        int lo() {
            int lo = Integer.MAX_VALUE;
            for (int i = 0; i < first.length; i++) {
                if (w[i].length > 0) {
                    lo = Math.min(lo, first[i]);
                }
            }
            return lo == Integer.MAX_VALUE ? 0 : lo;
        }

        int hi() {
            int hi = 0;
            for (int i = 0; i < first.length; i++) {
                hi = Math.max(hi, first[i] + w[i].length);
            }
            return Math.max(hi, lo());
        }
    }

    private static Weights weights(int in, int out, int from, int count) {
        double scale = (double) in / out;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        int[] first = new int[count];
        double[][] w = new double[count][];
        for (int n = 0; n < count; n++) {
            int i = from + n;
            double center = (i + 0.5) * scale;
            int lo = Math.max((int) (center - support + 0.5), 0);
            int hi = Math.min((int) (center + support + 0.5), in);
            double[] ws = new double[Math.max(hi - lo, 0)];
            double sum = 0;
            for (int j = lo; j < hi; j++) {
                double v = cubic((j - center + 0.5) / filterScale);
                ws[j - lo] = v;
                sum += v;
            }
            for (int j = 0; j < ws.length && sum != 0; j++) {
                ws[j] /= sum;
            }
            first[n] = lo;
            w[n] = ws;
        }
        return new Weights(first, w);
    }

    private static double cubic(double x) {
        x = Math.abs(x);
        if (x < 1) {
            return ((A + 2) * x - (A + 3)) * x * x + 1;
        }
        if (x < 2) {
            return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
        }
        return 0;
    }
}
