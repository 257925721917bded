package org.vim4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Resamples the learned position embedding to another patch grid, so a model runs at any resolution.
 *
 * <p>The patch rows form a {@code g0 x g0} grid (row-major) with the class token's row spliced in at the
 * middle index {@code M0/2}. We take the class row out, resample the grid bicubically to {@code gh x gw}
 * exactly as {@code torch.nn.functional.interpolate(mode='bicubic', align_corners=False)} does (cubic
 * convolution with a = -0.75, half-pixel centres, borders clamped, no antialias: timm's convention),
 * and splice the class row back in at the new middle {@code M/2}. The official code never does this
 * (it asserts the training size); our PyTorch reference in tools/ does the same, and a golden test pins it.
 */
public final class PosEmbedInterpolation {
    private static final double A = -0.75;

    private PosEmbedInterpolation() {
    }

    /**
     * Writes the {@code (gh*gw + 1, dim)} embedding for grid {@code gh x gw} into {@code out} from the
     * {@code (g0*g0 + 1, dim)} source. Allocation-free; cost {@code O(tokens * dim * 16)}.
     */
    public static void resample(MemorySegment src, int g0, int dim, MemorySegment out, int gh, int gw) {
        int m0 = g0 * g0, cls0 = m0 / 2;
        int m = gh * gw, cls = m / 2;
        for (int c = 0; c < dim; c++) {
            out.setAtIndex(JAVA_FLOAT, (long) cls * dim + c, src.getAtIndex(JAVA_FLOAT, (long) cls0 * dim + c));
        }
        double sy = (double) g0 / gh, sx = (double) g0 / gw;
        for (int oy = 0; oy < gh; oy++) {
            double fy = (oy + 0.5) * sy - 0.5;
            int y0 = (int) Math.floor(fy);
            double ty = fy - y0;
            double wy0 = cubicOuter(ty + 1), wy1 = cubicInner(ty), wy2 = cubicInner(1 - ty), wy3 = cubicOuter(2 - ty);
            for (int ox = 0; ox < gw; ox++) {
                double fx = (ox + 0.5) * sx - 0.5;
                int x0 = (int) Math.floor(fx);
                double tx = fx - x0;
                double[] wx = {cubicOuter(tx + 1), cubicInner(tx), cubicInner(1 - tx), cubicOuter(2 - tx)};
                double[] wy = {wy0, wy1, wy2, wy3};
                int p = oy * gw + ox;
                long dst = (long) (p < cls ? p : p + 1) * dim;
                for (int c = 0; c < dim; c++) {
                    double acc = 0;
                    for (int i = 0; i < 4; i++) {
                        int yy = clamp(y0 - 1 + i, g0);
                        double row = 0;
                        for (int j = 0; j < 4; j++) {
                            int xx = clamp(x0 - 1 + j, g0);
                            int q = yy * g0 + xx;
                            row += wx[j] * src.getAtIndex(JAVA_FLOAT, (long) (q < cls0 ? q : q + 1) * dim + c);
                        }
                        acc += wy[i] * row;
                    }
                    out.setAtIndex(JAVA_FLOAT, dst + c, (float) acc);
                }
            }
        }
    }

    private static int clamp(int i, int n) {
        return Math.max(0, Math.min(n - 1, i));
    }

    /** Keys cubic kernel for {@code |x| <= 1}. */
    private static double cubicInner(double x) {
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    }

    /** Keys cubic kernel for {@code 1 < |x| < 2}. */
    private static double cubicOuter(double x) {
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }
}
