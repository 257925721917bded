/**
 * FFM bindings of vim4j's C ABIs ({@code native/include/vim4j.h}, {@code vim4j_cuda.h}) in jextract's shape, and the
 * service through which the {@code vim4j-native} jar hands over its libraries. Internal to vim4j: only vim4j-core uses
 * the bindings.
 */
module org.vim4j.bindings {
    exports org.vim4j.bindings to org.vim4j;
    // Unqualified: the vim4j-native jar implements it from the module path (org.vim4j.natives) or from the class path
    // (the unnamed module), which a mixed setup does (vim4j-core on the module path, vim4j-native on the class path).
    exports org.vim4j.bindings.spi;
}
