package org.vim4j.backend.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import org.vim4j.bindings.spi.NativeBundle;

/**
 * The vim4j-native jar's files as this JVM sees them: through the jar's {@link NativeBundle} service (found on the class
 * path and on the module path, in vim4j-core's class loader or the thread's context class loader), else as plain
 * class-loader resources (a repackaged jar that lost its service file). Knowing whether a provider exists is what tells
 * "the jar is missing" from "the jar was built without the library" in the reason vim4j logs.
 */
final class BundledFiles implements NativeLibrary.Resources {
    private final List<NativeBundle> providers;
    private final String providerError;

    private BundledFiles(List<NativeBundle> providers, String providerError) {
        this.providers = providers;
        this.providerError = providerError;
    }

    static BundledFiles find() {
        List<NativeBundle> found = new ArrayList<>();
        String error = null;
        for (ClassLoader cl : loaders()) {
            try {
                for (NativeBundle b : ServiceLoader.load(NativeBundle.class, cl)) {
                    if (found.stream().noneMatch(f -> f.getClass() == b.getClass())) {
                        found.add(b);
                    }
                }
            } catch (ServiceConfigurationError e) {
                error = e.getMessage();
            }
        }
        return new BundledFiles(List.copyOf(found), error);
    }

    private static List<ClassLoader> loaders() {
        List<ClassLoader> l = new ArrayList<>();
        ClassLoader own = BundledFiles.class.getClassLoader();
        if (own != null) {
            l.add(own);
        }
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != own) {
            l.add(context);
        }
        if (l.isEmpty()) {
            l.add(ClassLoader.getSystemClassLoader());
        }
        return l;
    }

    boolean jarFound() {
        return !providers.isEmpty();
    }

    @Override
    public InputStream open(String name) throws IOException {
        String path = NativeLibrary.PLATFORM + "/" + name;
        for (NativeBundle b : providers) {
            InputStream in = b.open(path);
            if (in != null) {
                return in;
            }
        }
        for (ClassLoader cl : loaders()) {
            InputStream in = cl.getResourceAsStream(NativeLibrary.RESOURCE_DIR.substring(1) + name);
            if (in != null) {
                return in;
            }
        }
        return null;
    }

    @Override
    public String absent(String name) {
        String file = NativeLibrary.RESOURCE_DIR.substring(1) + name;
        if (providers.isEmpty()) {
            return "no vim4j-native jar is visible to vim4j (no " + NativeBundle.class.getName() + " provider and no " + file
                    + " on the class path or module path: add the dependency org.vim4j:vim4j-native"
                    + (providerError == null ? ")" : "; loading its provider failed: " + providerError + ")");
        }
        return "the vim4j-native jar has no " + file + ": it was built "
                + (name.contains("cuda") ? "without nvcc (the CUDA toolkit)" : "without cmake or a C++ compiler");
    }
}
