package org.vim4j.reliability;

import java.util.SplittableRandom;

import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.BackendKind;
import org.vim4j.backend.ffm.NativeLibrary;

/**
 * Run by {@link NativeFallbackTest} in a child JVM (backend selection and the native library's ISA tier are
 * fixed once per JVM, so every fault configuration needs a fresh one). Prints, one fact per line:
 * {@code native=<available>|<isa>|<reason>}, {@code auto=<backend>}, {@code logits=<10 floats>} from the embedded
 * model under the automatic choice, and {@code forced=<ok|error message>} for an explicitly requested NATIVE.
 */
public final class FallbackProbe {
    private FallbackProbe() {
    }

    public static void main(String[] args) {
        NativeLibrary.Status st = NativeLibrary.status();
        System.out.println("native=" + st.available() + "|" + st.isa() + "|" + st.reason());
        float[] x = new float[784];
        SplittableRandom r = new SplittableRandom(31);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withThreads(1)); VimSession s = m.newSession()) {
            System.out.println("auto=" + m.backend().id());
            StringBuilder b = new StringBuilder("logits=");
            for (float v : s.logits(x, 1, 28, 28)) {
                b.append(v).append(' ');
            }
            System.out.println(b.toString().trim());
        }
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withBackend(BackendKind.NATIVE).withThreads(1))) {
            System.out.println("forced=ok " + m.backend().id());
        } catch (VimException e) {
            System.out.println("forced=" + e.getMessage().replace('\n', ' '));
        }
    }
}
