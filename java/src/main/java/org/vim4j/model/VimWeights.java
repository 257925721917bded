package org.vim4j.model;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.vim4j.Precision;
import org.vim4j.VimConfig;
import org.vim4j.VimException;
import org.vim4j.io.StateDict;
import org.vim4j.kernel.BranchWeights;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.MixerWeights;
import org.vim4j.kernel.PatchEmbedding;
import org.vim4j.kernel.ScanWeights;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * A model's weights, validated against its config and placed for one backend. Holds only what the
 * forward pass reads: fp32 vectors in the backend's weight memory (host: the model's arena or the checkpoint's mapped
 * memory; CUDA: device memory owned by the model's arena) and the backend's prepared linear layers. The position
 * embedding stays on the host: sessions resample it for their grid and upload it to their workspace.
 */
public final class VimWeights {
    public final VimConfig config;
    public final MemorySegment posEmbed;      // (L0, D), L0 = native tokens, host memory
    public final PatchEmbedding patchEmbed;   // (D, C*p*p) + bias, and the class token (D)
    public final BlockWeights[] blocks;
    public final MemorySegment normF;         // (D)
    public final LinearWeight head;           // (classes, D) + bias
    private final long parameterBytes;

    private VimWeights(VimConfig config, MemorySegment posEmbed, PatchEmbedding patchEmbed, BlockWeights[] blocks,
            MemorySegment normF, LinearWeight head, long parameterBytes) {
        this.parameterBytes = parameterBytes;
        this.config = config;
        this.posEmbed = posEmbed;
        this.patchEmbed = patchEmbed;
        this.blocks = blocks;
        this.normF = normF;
        this.head = head;
    }

    /** FP32 weights: {@link #place(StateDict, VimConfig, Kernels, Precision, Arena)} at {@link Precision#FP32}. */
    public static VimWeights place(StateDict sd, VimConfig c, Kernels kernels, Arena arena) {
        return place(sd, c, kernels, Precision.FP32, arena);
    }

    /**
     * Checks every key and shape (listing all problems at once), then places the weights for {@code kernels}: the
     * mixers' in_proj, x_proj and out_proj, the patch embedding and the head at {@code precision}, dt_proj and every
     * other tensor fp32 (docs/precision.md).
     */
    public static VimWeights place(StateDict sd, VimConfig c, Kernels kernels, Precision precision, Arena arena) {
        validate(sd, c);
        Placer p = new Placer(sd, kernels, precision, arena);
        BlockWeights[] blocks = new BlockWeights[c.depth()];
        for (int i = 0; i < c.depth(); i++) {
            MixerWeights mixer = new MixerWeights(p.projection(WeightNames.layer(i, "mixer.in_proj.weight")),
                    p.branch(i, "", c), p.branch(i, "_b", c), p.projection(WeightNames.layer(i, "mixer.out_proj.weight")));
            blocks[i] = new BlockWeights(p.vector(WeightNames.layer(i, "norm.weight")), kernels.prepareMixer(mixer, arena));
        }
        Tensor patchW = sd.get("patch_embed.proj.weight");
        String patchScale = "patch_embed.proj.weight" + WeightNames.SCALE_SUFFIX;
        LinearSource patchSource = new LinearSource(patchW.reshape(c.embedDim(), c.patchInputs()),
                sd.contains(patchScale) ? sd.get(patchScale) : null, sd.get("patch_embed.proj.bias"));
        // The patch embedding and the head run at the model's precision too. Measured with the embedded Fashion-MNIST
        // model (docs/precision.md, "Which layers"): against keeping them fp32 this moved top-1 by at most 0.01
        // points, and int8 there is what brings a quantized Vim-Tiny checkpoint under 8 MB without a dequantized
        // copy at load.
        LinearWeight patch = kernels.prepareLinear(patchSource, precision, arena);
        LinearWeight head = kernels.prepareLinear(p.source("head.weight", "head.bias"), precision, arena);
        return new VimWeights(c, p.host("pos_embed"), new PatchEmbedding(patch, p.vector("cls_token")), blocks,
                p.vector("norm_f.weight"), head, parameterBytes(c, precision));
    }

    /** Nominal bytes of the parameters at {@code precision}: see {@link org.vim4j.VimModel#weightBytes()}. */
    static long parameterBytes(VimConfig c, Precision precision) {
        long d = c.embedDim(), e = c.dInner();
        long projections = c.depth() * (2 * e * d + 2 * (long) c.xProjOut() * e + d * e);
        long channels = c.depth() * (2 * e + 2L * c.xProjOut() + d);
        // + the patch embedding and the head, which run at the model's precision as well
        long low = projections + d * c.patchInputs() + (long) c.numClasses() * d;
        long lowChannels = channels + d + c.numClasses();
        long fp32 = c.parameterCount() - low;
        return switch (precision) {
            case FP32 -> 4 * c.parameterCount();
            case BF16 -> 4 * fp32 + 2 * low;
            case INT8 -> 4 * fp32 + low + 4 * lowChannels;
        };
    }

    /** {@link #parameterBytes(VimConfig, Precision)} of this model. */
    public long parameterBytes() {
        return parameterBytes;
    }

    static void validate(StateDict sd, VimConfig c) {
        Map<String, long[]> expected = WeightNames.expectedShapes(c);
        java.util.Set<String> quantizable = WeightNames.quantizable(c);
        List<String> problems = new ArrayList<>();
        TreeSet<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(sd.names());
        TreeSet<String> unexpected = new TreeSet<>(sd.names());
        unexpected.removeAll(expected.keySet());
        // The scales of an int8 weight are expected exactly when that weight is int8 (checked below).
        unexpected.removeIf(name -> name.endsWith(WeightNames.SCALE_SUFFIX)
                && quantizable.contains(name.substring(0, name.length() - WeightNames.SCALE_SUFFIX.length())));
        if (!missing.isEmpty()) {
            problems.add("missing " + missing.size() + " tensor(s): " + summarize(missing));
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected " + unexpected.size() + " tensor(s): " + summarize(unexpected));
        }
        for (var e : expected.entrySet()) {
            if (sd.contains(e.getKey())) {
                Tensor t = sd.get(e.getKey());
                if (!t.hasShape(e.getValue())) {
                    problems.add("tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape()) + ", expected "
                            + Arrays.toString(e.getValue()));
                }
                if (t.dtype() == DType.I8 && quantizable.contains(e.getKey())) {
                    checkInt8(sd, e.getKey(), t, problems);
                } else if (!t.dtype().isFloatingPoint()) {
                    problems.add("tensor '" + e.getKey() + "' has dtype " + t.dtype() + ", expected a floating-point type"
                            + (t.dtype() == DType.I8 ? " (int8 is allowed only for the linear weights a quantized "
                                    + "checkpoint stores with scales)" : ""));
                } else if (sd.contains(e.getKey() + WeightNames.SCALE_SUFFIX)) {
                    problems.add("tensor '" + e.getKey() + WeightNames.SCALE_SUFFIX + "' scales a " + t.dtype()
                            + " weight; scales belong only to an I8 weight");
                }
            }
        }
        if (!problems.isEmpty()) {
            // Bounded: a hostile file may have thousands of problems, and names of any length.
            List<String> shown = problems.stream().limit(8).toList();
            throw new VimException(sd.source() + " does not match a Vim model " + describe(c) + ": "
                    + String.join("; ", shown) + (problems.size() > shown.size() ? "; and " + (problems.size() - shown.size())
                            + " more problem(s)" : ""));
        }
    }

    /**
     * An int8 weight of a quantized checkpoint: its {@code _scale} tensor must be fp32 (or another float type) of
     * shape (N) for the weight's N output channels, every scale finite and >= 0, and the weight symmetric (no -128,
     * which the format never writes: docs/precision.md).
     */
    private static void checkInt8(StateDict sd, String name, Tensor w, List<String> problems) {
        String scaleName = name + WeightNames.SCALE_SUFFIX;
        if (!sd.contains(scaleName)) {
            problems.add("int8 tensor '" + name + "' has no '" + scaleName + "' (its per-output-channel scales)");
            return;
        }
        Tensor s = sd.get(scaleName);
        long n = w.rank() == 0 ? 0 : w.dim(0);
        if (!s.dtype().isFloatingPoint() || s.rank() != 1 || s.dim(0) != n) {
            problems.add("tensor '" + scaleName + "' is " + s.dtype() + " " + Arrays.toString(s.shape())
                    + ", expected a float vector of " + n + " scales (one per output channel of '" + name + "')");
            return;
        }
        for (long j = 0; j < n; j++) {
            float v = s.getFloat(j);
            if (!(v >= 0f) || Float.isInfinite(v)) {
                problems.add("tensor '" + scaleName + "' holds " + v + " at " + j + "; scales must be finite and >= 0");
                return;
            }
        }
        MemorySegment q = w.data();
        for (long i = 0; i < w.numel(); i++) {
            if (q.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) == Byte.MIN_VALUE) {
                problems.add("int8 tensor '" + name + "' holds -128 at " + i + "; quantized weights are symmetric, "
                        + "in [-127, 127]");
                return;
            }
        }
    }

    private static String describe(VimConfig c) {
        return "(D=" + c.embedDim() + ", depth=" + c.depth() + ", N=" + c.dState() + ", patch=" + c.patchSize()
                + ", classes=" + c.numClasses() + ")";
    }

    private static String summarize(TreeSet<String> names) {
        List<String> first = names.stream().limit(8).map(n -> n.length() <= 60 ? n : n.substring(0, 57) + "...").toList();
        return String.join(", ", first) + (names.size() > first.size() ? ", ..." : "");
    }

    /** Converts and places tensors; weights computed at load (A^T) are made on the host, then placed. */
    private record Placer(StateDict sd, Kernels kernels, Precision precision, Arena arena) {
        /** A tensor as fp32 host memory (the checkpoint's own mapping when it is fp32 already). */
        MemorySegment host(String name) {
            return sd.get(name).toF32(arena).data();
        }

        /** A tensor as an fp32 vector in the backend's weight memory. */
        MemorySegment vector(String name) {
            Tensor t = sd.get(name);
            return kernels.place(t.toF32(arena).data(), t.numel(), arena);
        }

        /** An fp32 layer (dt_proj). */
        LinearWeight linear(String weight, String bias) {
            return kernels.prepareLinear(source(weight, bias), Precision.FP32, arena);
        }

        /** A mixer projection (in_proj, x_proj, out_proj), bias-free, at the model's precision. */
        LinearWeight projection(String weight) {
            return kernels.prepareLinear(source(weight, null), precision, arena);
        }

        /** The weight, its per-channel scales when a quantized checkpoint stores {@code <weight>_scale}, the bias. */
        LinearSource source(String weight, String bias) {
            String scale = weight + WeightNames.SCALE_SUFFIX;
            return new LinearSource(sd.get(weight), sd.contains(scale) ? sd.get(scale) : null,
                    bias == null ? null : sd.get(bias));
        }

        BranchWeights branch(int i, String suffix, VimConfig c) {
            int e = c.dInner(), n = c.dState();
            Tensor aLog = sd.get(WeightNames.layer(i, "mixer.A" + suffix + "_log"));
            // A = -exp(A_log), stored state-major so a vector of channels loads contiguously. On heap arrays, copied in
            // and out in bulk: per-element segment accesses cost ~16 ms of a cold start in the interpreter.
            float[] log = aLog.toFloatArray(), a = new float[e * n];
            for (int ch = 0; ch < e; ch++) {
                for (int s = 0; s < n; s++) {
                    a[s * e + ch] = (float) -Math.exp(log[ch * n + s]);
                }
            }
            MemorySegment aT = arena.allocate((long) e * n * 4, 64);
            MemorySegment.copy(a, 0, aT, JAVA_FLOAT, 0, e * n);
            String conv = "mixer.conv1d" + suffix;
            ConvWeights cw = new ConvWeights(vector(WeightNames.layer(i, conv + ".weight")),
                    vector(WeightNames.layer(i, conv + ".bias")), e, c.dConv());
            ScanWeights sw = new ScanWeights(kernels.place(aT, (long) e * n, arena),
                    vector(WeightNames.layer(i, "mixer.D" + suffix)), vector(WeightNames.layer(i, "mixer.dt_proj" + suffix + ".bias")),
                    e, n);
            return new BranchWeights(cw, projection(WeightNames.layer(i, "mixer.x_proj" + suffix + ".weight")),
                    linear(WeightNames.layer(i, "mixer.dt_proj" + suffix + ".weight"), null), sw);
        }
    }
}
