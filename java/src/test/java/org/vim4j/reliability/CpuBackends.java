package org.vim4j.reliability;

import java.util.ArrayList;
import java.util.List;

import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;

/** The CPU backends this JVM can run, for tests that must hold on each; why one is missing goes to stderr. */
final class CpuBackends {
    private CpuBackends() {
    }

    static List<BackendKind> available() {
        List<BackendKind> kinds = new ArrayList<>();
        for (BackendKind k : new BackendKind[] {BackendKind.SCALAR, BackendKind.VECTOR, BackendKind.NATIVE}) {
            if (Backends.isAvailable(k)) {
                kinds.add(k);
            } else {
                System.err.println("reliability: backend " + k.id() + " unavailable here: " + Backends.unavailable().get(k));
            }
        }
        return kinds;
    }
}
