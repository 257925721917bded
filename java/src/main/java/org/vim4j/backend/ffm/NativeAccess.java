package org.vim4j.backend.ffm;

import java.util.LinkedHashSet;
import java.util.Set;

import org.vim4j.bindings.vim4j_h;

/**
 * Whether this JVM lets vim4j run native code: loading a library and binding downcalls are restricted methods, called
 * from vim4j-core (loading) and vim4j-bindings (downcalls). Without {@code --enable-native-access} for both, the JDK
 * would allow them with a warning on stderr (and deny them in a future release), so vim4j loads no native code at all
 * and says which flag to add. {@code --illegal-native-access=allow} does not count: it silences the JDK, not vim4j's
 * choice, and the flag that says what is meant is {@code --enable-native-access}.
 */
public final class NativeAccess {
    private NativeAccess() {
    }

    /** Null when native access is enabled for vim4j's modules; otherwise why vim4j loads no native code. */
    public static String denied() {
        Set<String> missing = new LinkedHashSet<>();
        for (Module m : new Module[] {NativeAccess.class.getModule(), vim4j_h.class.getModule()}) {
            if (!m.isNativeAccessEnabled()) {
                missing.add(m.isNamed() ? m.getName() : "ALL-UNNAMED");
            }
        }
        if (missing.isEmpty()) {
            return null;
        }
        return "native access is not enabled for " + (missing.contains("ALL-UNNAMED") ? "the class path" : "module "
                + String.join(", ", missing)) + ", so vim4j loads no native code (start java with " + flag() + ")";
    }

    /** The {@code --enable-native-access} flag vim4j's modules need where they are (class path or module path). */
    public static String flag() {
        Set<String> names = new LinkedHashSet<>();
        for (Module m : new Module[] {NativeAccess.class.getModule(), vim4j_h.class.getModule()}) {
            names.add(m.isNamed() ? m.getName() : "ALL-UNNAMED");
        }
        return "--enable-native-access=" + String.join(",", names);
    }
}
