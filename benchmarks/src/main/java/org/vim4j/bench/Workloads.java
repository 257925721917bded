package org.vim4j.bench;

import org.vim4j.bench.deit.AttentionKind;
import org.vim4j.BackendKind;
import org.vim4j.Precision;

/** Builds a workload from its command-line names: {@code vim-tiny|vim-small|vim-base|deit-tiny|deit-small}. */
final class Workloads {
    private Workloads() {
    }

    static Workload create(String model, AttentionKind attention, BackendKind backend, int threads, int resolution, int batch) {
        return create(model, attention, backend, threads, resolution, batch, Precision.FP32);
    }

    /** A Vim model runs at {@code precision}; DeiT (the fp32 peer) refuses any other than FP32. */
    static Workload create(String model, AttentionKind attention, BackendKind backend, int threads, int resolution, int batch,
            Precision precision) {
        if (model.startsWith("vim-")) {
            return new VimWorkload(model.substring(4), backend, threads, resolution, batch, precision);
        }
        if (precision != Precision.FP32) {
            throw new IllegalArgumentException("--precision " + precision.label() + ": only the Vim models run other precisions");
        }
        if (model.startsWith("deit-")) {
            return new DeitWorkload(model.substring(5), backend, threads, resolution, batch, attention);
        }
        throw new IllegalArgumentException("unknown model '" + model + "': expected vim-tiny|vim-small|vim-base|deit-tiny|deit-small");
    }
}
