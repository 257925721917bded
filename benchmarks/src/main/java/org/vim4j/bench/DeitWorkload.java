package org.vim4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.bench.deit.AttentionKind;
import org.vim4j.bench.deit.DeitConfig;
import org.vim4j.bench.deit.DeitModel;
import org.vim4j.bench.deit.DeitSession;
import org.vim4j.BackendKind;

/** The DeiT baseline (random weights) at one resolution, with full or tiled attention. */
final class DeitWorkload implements Workload {
    private final String preset;
    private final int batch;
    private final DeitModel model;
    private final DeitSession session;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment in;

    DeitWorkload(String preset, BackendKind backend, int threads, int resolution, int batch, AttentionKind kind) {
        this.preset = preset;
        this.batch = batch;
        DeitConfig c = DeitConfig.preset(preset, resolution);
        this.model = DeitModel.random(c, 42, backend, threads);
        this.session = model.newSession(batch, kind);
        this.in = VimWorkload.randomInput(arena, (long) batch * c.channels() * resolution * resolution);
    }

    @Override
    public String model() {
        return "deit-" + preset;
    }

    @Override
    public String backend() {
        return model.backend().id();
    }

    @Override
    public String attention() {
        return session.attentionKind().id();
    }

    @Override
    public int resolution() {
        return model.config().imgSize();
    }

    @Override
    public int tokens() {
        return model.config().tokens();
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
        return batch * model.config().macs();
    }

    @Override
    public long weightBytes() {
        return model.weightBytes();
    }

    @Override
    public long workspaceBytes() {
        return session.workspaceBytes();
    }

    @Override
    public void run() {
        session.run(in, 0, batch);
    }

    @Override
    public void close() {
        session.close();
        model.close();
        arena.close();
    }
}
