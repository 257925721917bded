/**
 * vim4j: Vision Mamba (Vim) inference for the JVM.
 *
 * <p>The API is {@link org.vim4j} ({@link org.vim4j.VimModel}, {@link org.vim4j.VimSession}, {@link org.vim4j.VimOptions},
 * {@link org.vim4j.VimConfig}, ...) and {@link org.vim4j.image} (images to model inputs); every other package is internal
 * and not exported.
 *
 * <p>Decisions (README, "Embedding"):
 * <ul>
 * <li>{@code jdk.incubator.vector} is {@code requires static}: the Vector API backend stays optional at run time, as on
 *     the class path. Start java with {@code --add-modules jdk.incubator.vector} to get it; without it vim4j says so and
 *     uses another backend. A plain {@code requires} would force the incubator module (and its warning) on every
 *     application and stop vim4j from starting on a JDK without it.</li>
 * <li>The native libraries come from the {@code org.vim4j.natives} module (the vim4j-native jar) through the
 *     {@link org.vim4j.bindings.spi.NativeBundle} service: the boot layer binds it without a {@code requires}, it is
 *     found on the class path as well, and leaving the jar out is not an error (the Java backends run).</li>
 * <li>Restricted methods (loading the native libraries, downcalls) run in this module and in
 *     {@code org.vim4j.bindings}: enable native access for both ({@code --enable-native-access=org.vim4j,org.vim4j.bindings}
 *     on the module path, {@code ALL-UNNAMED} on the class path). Without it vim4j loads no native code (no JDK
 *     warnings) and says so in its backend log line.</li>
 * </ul>
 */
module org.vim4j {
    requires transitive java.desktop; // ImageInput.fromImage(BufferedImage), ImageLoader.read
    requires java.management; // the STEADY warm-up watches the JIT (model.SteadyState)
    requires jdk.management; // the vector backend reads whether this JVM has C2 (backend.vector.KernelTier)
    requires static jdk.incubator.vector;
    requires org.vim4j.bindings;

    uses org.vim4j.bindings.spi.NativeBundle;

    exports org.vim4j;
    exports org.vim4j.image;
}
