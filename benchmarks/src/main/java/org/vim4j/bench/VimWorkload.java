package org.vim4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.BackendKind;
import org.vim4j.OutputKind;
import org.vim4j.Precision;
import org.vim4j.VimConfig;

/** Vim through the public API ({@code VimSession.run} on caller-owned segments, the allocation-free path). */
final class VimWorkload implements Workload {
    private final String preset;
    private final int resolution, batch;
    private final VimModel model;
    private final VimSession session;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment in, out;

    VimWorkload(String preset, BackendKind backend, int threads, int resolution, int batch, Precision precision) {
        this.preset = preset;
        this.resolution = resolution;
        this.batch = batch;
        this.model = VimModel.random(VimConfig.preset(preset), 42, VimOptions.defaults().withBackend(backend).withThreads(threads)
                .withPrecision(precision));
        this.session = model.newSession(batch, resolution, resolution);
        VimConfig c = model.config();
        in = randomInput(arena, (long) batch * c.channels() * resolution * resolution);
        out = arena.allocate(session.outputFloats(OutputKind.LOGITS, batch, resolution, resolution) * 4, 64);
    }

    static MemorySegment randomInput(Arena arena, long floats) {
        MemorySegment s = arena.allocate(floats * 4, 64);
        SplittableRandom rnd = new SplittableRandom(7);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(JAVA_FLOAT, i, (float) (rnd.nextDouble() * 4 - 2));
        }
        return s;
    }

    @Override
    /** {@code vim-tiny}, or {@code vim-tiny-int8} etc. at another precision than fp32 (one CSV column for both). */
    public String model() {
        return "vim-" + preset + (model.precision() == Precision.FP32 ? "" : "-" + model.precision().label());
    }

    @Override
    public String backend() {
        return model.backend().id();
    }

    @Override
    public String attention() {
        return "-";
    }

    @Override
    public int resolution() {
        return resolution;
    }

    @Override
    public int tokens() {
        int g = model.config().gridSize(resolution);
        return g * g + 1;
    }

    @Override
    public int batch() {
        return batch;
    }

    @Override
    public int threads() {
        return model.threads();
    }

    @Override
    public long macs() {
        return batch * ModelCost.vimMacs(model.config(), tokens());
    }

    @Override
    /**
     * The weights' bytes at the model's precision, computed from the config: the mixers' in_proj, x_proj and out_proj at
     * 2 bytes (bf16) or 1 byte plus a 4-byte scale per output channel (int8), everything else fp32 (docs/precision.md).
     */
    public long weightBytes() {
        VimConfig c = model.config();
        long d = c.embedDim(), e = c.dInner(), xOut = c.dtRank() + 2L * c.dState();
        long projRows = 2 * e + 2 * xOut + d;
        long projParams = c.depth() * (2 * e * d + 2 * xOut * e + d * e);
        long rest = (c.parameterCount() - projParams) * 4;
        return rest + switch (model.precision()) {
            case FP32 -> projParams * 4;
            case BF16 -> projParams * 2;
            case INT8 -> projParams + c.depth() * projRows * 4;
        };
    }

    @Override
    public long workspaceBytes() {
        return session.workspaceBytes();
    }

    @Override
    public void run() {
        session.run(OutputKind.LOGITS, in, batch, resolution, resolution, out);
    }

    @Override
    public void close() {
        session.close();
        model.close();
        arena.close();
    }
}
