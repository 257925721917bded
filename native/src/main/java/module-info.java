/**
 * The vim4j-native jar: {@code libvim4j.so} (and {@code libvim4j_cuda.so} where nvcc was found) under
 * {@code org/vim4j/native/<platform>/}, handed to vim4j-core through the {@link org.vim4j.bindings.spi.NativeBundle}
 * service. No API; vim4j-core binds it without a {@code requires}, so the jar may be left out (then vim4j runs on its
 * Java backends and says why).
 */
module org.vim4j.natives {
    requires org.vim4j.bindings;

    provides org.vim4j.bindings.spi.NativeBundle with org.vim4j.natives.BundledLibraries;
}
