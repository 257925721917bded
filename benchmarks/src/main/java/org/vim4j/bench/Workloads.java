package org.vim4j.bench;

import org.vim4j.bench.deit.AttentionKind;
import org.vim4j.BackendKind;

/** Builds a workload from its command-line names: {@code vim-tiny|vim-small|vim-base|deit-tiny|deit-small}. */
final class Workloads {
    private Workloads() {
    }

    static Workload create(String model, AttentionKind attention, BackendKind backend, int threads, int resolution, int batch) {
        if (model.startsWith("vim-")) {
            return new VimWorkload(model.substring(4), backend, threads, resolution, batch);
        }
        if (model.startsWith("deit-")) {
            return new DeitWorkload(model.substring(5), backend, threads, resolution, batch, attention);
        }
        throw new IllegalArgumentException("unknown model '" + model + "': expected vim-tiny|vim-small|vim-base|deit-tiny|deit-small");
    }
}
