package org.vim4j.kernel;

/** The kernel implementations, fastest last. {@code auto} picks the fastest available. */
public enum BackendKind {
    /** Plain Java loops: the readable oracle every other backend is checked against. */
    SCALAR,
    /** Java Vector API (jdk.incubator.vector): SIMD on any JDK that has the module. */
    VECTOR,
    /** C++ SIMD kernels through FFM (a later release). */
    NATIVE,
    /** CUDA kernels through FFM (a later release). */
    CUDA;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
