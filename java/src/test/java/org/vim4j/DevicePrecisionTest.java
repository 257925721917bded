package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vim4j.backend.Backends;
import org.vim4j.io.idx.IdxDataset;
import org.vim4j.io.npy.Npy;
import org.vim4j.tensor.Tensor;

/**
 * The BF16 mode on the device (issue 13: bf16 within 0.3 top-1 points of fp32), run by benchmarks/device/check.sh:
 * the golden cases' logits at BF16 against the fp32 reference (the deviation printed and held to a bound) and against
 * the CPU oracle's BF16 logits (the same definition, docs/precision.md: only the fp32 sum order differs), then the
 * embedded Fashion-MNIST model's top-1 over the 10,000 test images at FP32 and BF16.
 *
 * <p>{@code -Dvim4j.devicePrecision.backend} picks the backend (default cuda; vector runs the same checks on the CPU,
 * which is how the bounds were measured), {@code -Dvim4j.devicePrecision.images} the number of test images (the
 * accuracy target is asserted only over all 10,000) and {@code -Dvim4j.devicePrecision.data} the folder of
 * {@code t10k-images-idx3-ubyte.gz} and {@code t10k-labels-idx1-ubyte.gz} (default: where the Debian package puts
 * them; prepare.sh copies them into the device bundle). Skipped, with the reason, when the backend is unavailable.
 */
class DevicePrecisionTest {
    /**
     * BF16 logits against the fp32 reference: on the CPU (vector backend) the golden cases moved by 3.6e-2 (tiny),
     * 1.1e-2, 6.2e-3 and 7.4e-3 (printed by this test); the bound leaves room for a device's own sum order.
     */
    static final float BF16_VS_FP32_TOL = 6e-2f;
    /**
     * BF16 logits on the backend against the scalar oracle's BF16 logits: the same products, the sums in another order
     * (vector vs scalar: at most 6e-4).
     */
    static final float BF16_VS_CPU_TOL = 5e-3f;

    static BackendKind backend() {
        BackendKind k = BackendKind.valueOf(System.getProperty("vim4j.devicePrecision.backend", "cuda")
                .toUpperCase(Locale.ROOT));
        assumeTrue(Backends.isAvailable(k), () -> k.id() + " unavailable: " + Backends.unavailable().get(k));
        return k;
    }

    static float[] logits(String name, BackendKind kind, Precision p) throws IOException {
        Path dir = GoldenParityTest.golden(name);
        Map<String, Integer> cfg = GoldenParityTest.config(dir);
        try (Arena arena = Arena.ofConfined();
                VimModel model = VimModel.load(dir.resolve("model.safetensors"), VimOptions.defaults().withBackend(kind)
                        .withPrecision(p).withImageSize(cfg.get("img_size")).withStride(cfg.get("stride")));
                VimSession s = model.newSession(batchOf(dir, arena), heightOf(dir, arena), heightOf(dir, arena))) {
            Tensor x = Npy.read(dir.resolve("input.npy"), arena);
            int b = (int) x.dim(0), h = (int) x.dim(2), w = (int) x.dim(3);
            return s.logits(x.toFloatArray(), b, h, w);
        }
    }

    private static int batchOf(Path dir, Arena arena) throws IOException {
        return (int) Npy.read(dir.resolve("input.npy"), arena).dim(0);
    }

    private static int heightOf(Path dir, Arena arena) throws IOException {
        Tensor x = Npy.read(dir.resolve("input.npy"), arena);
        return (int) Math.max(x.dim(2), x.dim(3));
    }

    @Test
    void bf16GoldenDeviation() throws IOException {
        BackendKind kind = backend();
        for (String name : GoldenParityTest.CASES) {
            float[] want = GoldenParityTest.read(GoldenParityTest.golden(name), "logits.npy", Arena.ofAuto());
            float[] got = logits(name, kind, Precision.BF16);
            float[] cpu = logits(name, BackendKind.SCALAR, Precision.BF16);
            double vsRef = 0, vsCpu = 0;
            for (int i = 0; i < want.length; i++) {
                vsRef = Math.max(vsRef, Math.abs(got[i] - want[i]));
                vsCpu = Math.max(vsCpu, Math.abs(got[i] - cpu[i]));
            }
            System.out.printf(Locale.ROOT, "%s bf16 golden %s: max |logit - fp32 reference| = %.3g, max |logit - scalar "
                    + "bf16| = %.3g%n", kind.id(), name, vsRef, vsCpu);
            GoldenParityTest.compare(kind.id() + " bf16 " + name + " vs fp32 reference", want, got, 0f, BF16_VS_FP32_TOL);
            GoldenParityTest.compare(kind.id() + " bf16 " + name + " vs scalar bf16", cpu, got, 0f, BF16_VS_CPU_TOL);
        }
    }

    @Test
    void fashionMnistTop1Fp32AndBf16() {
        BackendKind kind = backend();
        Path data = Path.of(System.getProperty("vim4j.devicePrecision.data", EmbeddedModelTest.FASHION_MNIST.toString()));
        assumeTrue(Files.isDirectory(data), "no Fashion-MNIST test set in " + data);
        int images = Integer.getInteger("vim4j.devicePrecision.images", 10_000);
        IdxDataset d = IdxDataset.read(data, "t10k");
        assertEquals(10_000, d.count());
        double fp32 = PrecisionAccuracyTest.top1(d, images, VimOptions.defaults().withBackend(kind).withPrecision(Precision.FP32));
        double bf16 = PrecisionAccuracyTest.top1(d, images, VimOptions.defaults().withBackend(kind).withPrecision(Precision.BF16));
        System.out.printf(Locale.ROOT, "%s Fashion-MNIST top-1 over %d test images: fp32 %.4f, bf16 %.4f (%+.2f points)%n",
                kind.id(), images, fp32, bf16, 100 * (bf16 - fp32));
        if (images == 10_000) {
            assertTrue(fp32 - bf16 <= PrecisionAccuracyTest.BF16_TOP1_DROP, "bf16 top-1 " + bf16 + " vs fp32 " + fp32);
        }
    }
}
