package org.vim4j;

/** The kernel implementations, fastest last. {@code auto} picks the fastest available. */
public enum BackendKind {
    /** Plain Java loops: the readable oracle every other backend is checked against. */
    SCALAR,
    /** Java Vector API (jdk.incubator.vector): SIMD on any JDK that has the module. */
    VECTOR,
    /** C++ SIMD kernels through FFM ({@code libvim4j.so}). */
    NATIVE,
    /** CUDA kernels through FFM ({@code libvim4j_cuda.so}), the whole forward on an NVIDIA GPU. */
    CUDA;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
