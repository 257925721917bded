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
        float[] tmp = new float[channels * outW * inH];
        Weights wx = weights(inW, outW);
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < inH; y++) {
                int row = (c * inH + y) * inW;
                for (int x = 0; x < outW; x++) {
                    double acc = 0;
                    for (int k = 0; k < wx.count[x]; k++) {
                        acc += wx.w[x][k] * src[row + wx.first[x] + k];
                    }
                    tmp[(c * inH + y) * outW + x] = (float) acc;
                }
            }
        }
        float[] out = new float[channels * outW * outH];
        Weights wy = weights(inH, outH);
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    double acc = 0;
                    for (int k = 0; k < wy.count[y]; k++) {
                        acc += wy.w[y][k] * tmp[(c * inH + wy.first[y] + k) * outW + x];
                    }
                    out[(c * outH + y) * outW + x] = (float) acc;
                }
            }
        }
        return out;
    }

    private record Weights(int[] first, int[] count, double[][] w) {
    }

    private static Weights weights(int in, int out) {
        double scale = (double) in / out;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        int[] first = new int[out], count = new int[out];
        double[][] w = new double[out][];
        for (int i = 0; i < out; i++) {
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
            first[i] = lo;
            count[i] = ws.length;
            w[i] = ws;
        }
        return new Weights(first, count, w);
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
