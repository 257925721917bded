package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.vim4j.backend.vector.VectorLanes.F;
import static org.vim4j.backend.vector.VectorLanes.LANES;
import static org.vim4j.backend.vector.VectorLanes.ORDER;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import org.vim4j.kernel.PatchGrid;


/**
 * Patch extraction for the patch-embedding conv: each (patch, channel, ky) is a run of {@code patch}
 * contiguous floats in the image row, copied with vectors (16 floats = one 512-bit vector for Vim's
 * 16x16 patches). One task per row of the patch grid.
 */
final class Im2colKernel {
    private Im2colKernel() {
    }

    /** One call's arguments; one instance per calling thread, reused. */
    static final class Task implements ParallelTask {
        MemorySegment image, out;
        long iOff, oOff;
        int channels, height, width, patch, stride, gw;
        boolean plain;

        void run(KernelThreads threads, KernelTier tier, MemorySegment image, long iOff, PatchGrid grid, MemorySegment out, long oOff) {
            int gh = grid.gh();
            gw = grid.gw();
            this.image = image;
            this.iOff = iOff;
            this.channels = grid.channels();
            this.height = grid.height();
            this.width = grid.width();
            this.patch = grid.patch();
            this.stride = grid.stride();
            this.out = out;
            this.oOff = oOff;
            this.plain = tier == KernelTier.PLAIN;
            try {
                Parallel.run(Confinement.shareable(image) && Confinement.shareable(out) ? threads : null, this, gh);
            } finally {
                this.image = this.out = null;
            }
        }

        @Override
        public void run(int py) {
            MemorySegment image = this.image, out = this.out; // locals: C2 reloads fields after every store
            int channels = this.channels, patch = this.patch, height = this.height, width = this.width;
            long cols = (long) channels * patch * patch;
            int bound = patch - patch % LANES;
            for (int px = 0; px < gw; px++) {
                long row = oOff + ((long) py * gw + px) * cols;
                for (int c = 0; c < channels; c++) {
                    for (int ky = 0; ky < patch; ky++) {
                        long src = (iOff + ((long) c * height + (long) py * stride + ky) * width + (long) px * stride)
                                * Float.BYTES;
                        long dst = (row + ((long) c * patch + ky) * patch) * Float.BYTES;
                        if (plain) { // a bulk copy: the plain-Java tier's twin of the vector copy (KernelTier)
                            MemorySegment.copy(image, src, out, dst, (long) patch * Float.BYTES);
                            continue;
                        }
                        int kx = 0;
                        for (; kx < bound; kx += LANES) {
                            long o = (long) kx * Float.BYTES;
                            FloatVector.fromMemorySegment(F, image, src + o, ORDER).intoMemorySegment(out, dst + o, ORDER);
                        }
                        for (; kx < patch; kx++) {
                            long o = (long) kx * Float.BYTES;
                            out.set(JAVA_FLOAT_UNALIGNED, dst + o, image.get(JAVA_FLOAT_UNALIGNED, src + o));
                        }
                    }
                }
            }
        }
    }
}
