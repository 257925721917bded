package org.vim4j.bindings.spi;

import java.io.IOException;
import java.io.InputStream;

/**
 * The native libraries a {@code vim4j-native} jar carries, opened from inside that jar.
 *
 * <p>The jar provides this service ({@code provides} in its module descriptor, {@code META-INF/services} on the class
 * path), so vim4j finds its libraries wherever the jar sits: on the class path or the module path, in the same class
 * loader as vim4j-core or another, and with no {@code --add-modules} (the boot layer binds service providers). That a
 * provider is found at all is how vim4j tells "the jar is missing" from "the jar was built without the library".
 */
public interface NativeBundle {
    /**
     * A file of the bundle, by its path under {@code org/vim4j/native/} (e.g. {@code linux-x86_64/libvim4j.so}), or
     * null when this jar does not carry it (it was built without CMake, a C++ compiler or nvcc, or for another
     * platform).
     *
     * @param path the file's path under {@code org/vim4j/native/}, with {@code /} separators
     * @return the file's bytes, or null
     * @throws IOException if the file exists but cannot be opened
     */
    InputStream open(String path) throws IOException;
}
