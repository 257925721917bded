package org.vim4j.backend.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import org.vim4j.bindings.spi.NativeBundle;

/**
 * The vim4j-native jar's files as this JVM sees them: as plain resources of vim4j-core's class loader or the thread's
 * context class loader, else through the jar's {@link NativeBundle} service (found on the class path and on the module
 * path, where the boot layer binds the provider without {@code --add-modules}). Knowing whether a provider exists is
 * what tells "the jar is missing" from "the jar was built without the library" in the reason vim4j logs.
 */
final class BundledFiles implements NativeLibrary.Resources {
    private List<NativeBundle> providers; // looked up on first need: see open()
    private String providerError;

    private BundledFiles() {
    }

    static BundledFiles find() {
        return new BundledFiles();
    }

    /** The jar's service providers; looked up once, when a file is not a plain resource or a message needs them. */
    private synchronized List<NativeBundle> providers() {
        if (providers == null) {
            List<NativeBundle> found = new ArrayList<>();
            for (ClassLoader cl : loaders()) {
                try {
                    for (NativeBundle b : ServiceLoader.load(NativeBundle.class, cl)) {
                        if (found.stream().noneMatch(f -> f.getClass() == b.getClass())) {
                            found.add(b);
                        }
                    }
                } catch (ServiceConfigurationError e) {
                    providerError = e.getMessage();
                }
            }
            providers = List.copyOf(found);
        }
        return providers;
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
        return !providers().isEmpty();
    }

    /**
     * A plain class-loader resource first: on the class path that finds the jar's file directly, and a cold JVM pays
     * ~35 ms for the {@link ServiceLoader} scan (README "Cold start"). The providers are asked when that fails: the jar
     * on the module path in a layer vim4j-core's loader does not see, or a repackaged jar.
     */
    @Override
    public InputStream open(String name) throws IOException {
        for (ClassLoader cl : loaders()) {
            InputStream in = cl.getResourceAsStream(NativeLibrary.RESOURCE_DIR.substring(1) + name);
            if (in != null) {
                return in;
            }
        }
        String path = NativeLibrary.PLATFORM + "/" + name;
        for (NativeBundle b : providers()) {
            InputStream in = b.open(path);
            if (in != null) {
                return in;
            }
        }
        return null;
    }

    @Override
    public String absent(String name) {
        String file = NativeLibrary.RESOURCE_DIR.substring(1) + name;
        if (providers().isEmpty()) {
            return "no vim4j-native jar is visible to vim4j (no " + NativeBundle.class.getName() + " provider and no " + file
                    + " on the class path or module path: add the dependency org.vim4j:vim4j-native"
                    + (providerError == null ? ")" : "; loading its provider failed: " + providerError + ")");
        }
        return "the vim4j-native jar has no " + file + ": it was built "
                + (name.contains("cuda") ? "without nvcc (the CUDA toolkit)" : "without cmake or a C++ compiler");
    }
}
