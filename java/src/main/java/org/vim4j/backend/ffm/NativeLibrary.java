package org.vim4j.backend.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Properties;

import org.vim4j.bindings.vim4j_h;

/**
 * Finds and loads {@code libvim4j.so} once per JVM, and says why not when it cannot.
 *
 * <p>Precedence:
 * <ol>
 * <li>{@code -Dvim4j.native.skip=true}: not loaded;</li>
 * <li>{@code -Dvim4j.native.dir=DIR}: {@code DIR/libvim4j.so} or a clear failure, never a fallback;</li>
 * <li>the copy in the vim4j-native jar, {@code org/vim4j/native/linux-x86_64/libvim4j.so}, found through the jar's
 *     {@link org.vim4j.bindings.spi.NativeBundle} service (so on the class path and the module path alike) or as a
 *     class-loader resource, extracted with its {@code vim4j-native.properties} into a reusable cache directory
 *     {@code <cacheDir>/<version>-<first 16 hex of the library's sha256>/}; the cache directory is
 *     {@code -Dvim4j.native.cacheDir}, by default {@code ${user.home}/.cache/vim4j}. Files are written to a
 *     temporary sibling and renamed atomically, so concurrent JVMs never load a half-written library, and an
 *     existing file with the same hash is reused as is. Old directories are cleaned ({@link NativeCache});</li>
 * <li>{@code System.loadLibrary("vim4j")}, i.e. {@code java.library.path}.</li>
 * </ol>
 * Nothing is loaded unless native access is enabled for vim4j ({@link NativeAccess}): the reason then names the flag.
 * Right after loading, the library's {@code vim4j_abi_version()} must equal the bindings'
 * {@code VIM4J_ABI_VERSION}. Loading goes through {@link System#load} from this class, so jextract's loader
 * lookup in {@link vim4j_h} (same class loader) resolves the symbols. No failure here crashes or throws: it
 * becomes the {@link Status#reason()} that {@code Backends} prints.
 */
public final class NativeLibrary {
    public static final String SKIP_PROPERTY = "vim4j.native.skip";
    public static final String DIR_PROPERTY = "vim4j.native.dir";
    public static final String CACHE_DIR_PROPERTY = "vim4j.native.cacheDir";
    static final String PLATFORM = "linux-x86_64";
    static final String RESOURCE_DIR = "/org/vim4j/native/" + PLATFORM + "/";
    static final String LIBRARY_FILE = "libvim4j.so";
    static final String PROPERTIES_FILE = "vim4j-native.properties";

    private static final System.Logger LOG = System.getLogger("org.vim4j");
    private static volatile Status status;

    private NativeLibrary() {
    }

    /**
     * The outcome of loading: available with the ISA tier the library chose and the file it came from, or
     * unavailable with the reason.
     */
    public record Status(boolean available, String isa, String path, String reason) {
        static Status loaded(String isa, String path) {
            return new Status(true, isa, path, null);
        }

        static Status unavailable(String reason) {
            return new Status(false, null, null, reason);
        }

        /** One line for logs: the tier and file, or the reason. */
        public String describe() {
            return available ? "native kernels (" + isa + ") from " + path : "native kernels unavailable: " + reason;
        }
    }

    /** Loads the library on first use (thread-safe) and returns the cached outcome. */
    public static Status status() {
        Status s = status;
        if (s == null) {
            synchronized (NativeLibrary.class) {
                s = status;
                if (s == null) {
                    Settings settings = Settings.fromSystemProperties();
                    String denied = settings.skip() ? null : NativeAccess.denied();
                    s = denied != null ? Status.unavailable(denied) : resolve(settings, new SystemLoader(), BundledFiles.find());
                    LOG.log(Level.DEBUG, s.describe());
                    status = s;
                }
            }
        }
        return s;
    }

    /** Where to look, as read from system properties (a record so tests can supply their own). */
    record Settings(boolean skip, String dir, Path cacheDir, boolean platformBundled) {
        static Settings fromSystemProperties() {
            String skip = System.getProperty(SKIP_PROPERTY);
            boolean skipped = skip != null && !skip.trim().equalsIgnoreCase("false");
            String cache = System.getProperty(CACHE_DIR_PROPERTY);
            Path cacheDir = cache != null && !cache.isBlank() ? Path.of(cache)
                    : Path.of(System.getProperty("user.home", "."), ".cache", "vim4j");
            return new Settings(skipped, System.getProperty(DIR_PROPERTY), cacheDir, isBundledPlatform());
        }
    }

    /** How a library file becomes usable; the real one is {@link SystemLoader}, tests pass fakes. */
    interface Loader {
        void load(Path file);

        /** Loads from java.library.path; returns the file it found there, or a description. */
        String loadLibrary(String name);

        int abiVersion();

        int isa();
    }

    /** The bundled resources: {@code name} under {@link #RESOURCE_DIR}, or null when absent. */
    @FunctionalInterface
    interface Resources {
        InputStream open(String name) throws IOException;

        /** Why {@code name} is not bundled (the real lookup tells a missing jar from one built without the library). */
        default String absent(String name) {
            return "the vim4j-native jar has no " + RESOURCE_DIR.substring(1) + name
                    + ": it was built without cmake or a C++ compiler, or is missing";
        }
    }

    static Status resolve(Settings settings, Loader loader, Resources resources) {
        if (settings.skip()) {
            return Status.unavailable("skipped by " + SKIP_PROPERTY);
        }
        if (settings.dir() != null) {
            Path file = Path.of(settings.dir()).resolve(LIBRARY_FILE).toAbsolutePath();
            if (!Files.isRegularFile(file)) {
                return Status.unavailable("-D" + DIR_PROPERTY + "=" + settings.dir() + ": no " + LIBRARY_FILE + " there ("
                        + file + ")");
            }
            String failure = tryLoad(loader, file);
            if (failure != null) {
                return Status.unavailable("-D" + DIR_PROPERTY + "=" + settings.dir() + ": cannot load " + file + ": " + failure);
            }
            return checked(loader, file.toString());
        }
        String bundled;
        if (settings.platformBundled()) {
            try {
                Bundled b = loadBundled(resources, settings.cacheDir(), LIBRARY_FILE, file -> tryLoad(loader, file));
                if (b.file() != null && b.failure() == null) {
                    NativeCache.clean(settings.cacheDir(), b.file().getParent(), java.time.Instant.now());
                    return checked(loader, b.file().toString());
                }
                bundled = b.file() != null ? "the bundled library (extracted to " + b.file() + ") does not load: " + b.failure()
                        : "no bundled library (" + b.failure() + ")";
            } catch (IOException | RuntimeException e) {
                bundled = "cannot extract the bundled library into " + settings.cacheDir() + " (set -D" + CACHE_DIR_PROPERTY
                        + "=a writable directory): " + e;
            }
        } else {
            bundled = "no bundled library for " + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                    + " (only " + PLATFORM + " is built)";
        }
        String where;
        try {
            where = loader.loadLibrary("vim4j");
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Status.unavailable(bundled + "; and System.loadLibrary(\"vim4j\") failed: " + message(e));
        }
        return checked(loader, where);
    }

    /** After a successful load: the ABI check and the ISA tier. */
    private static Status checked(Loader loader, String where) {
        int abi;
        try {
            abi = loader.abiVersion();
        } catch (Throwable e) { // ExceptionInInitializerError from a missing symbol, and the like
            return Status.unavailable(where + " has no usable vim4j_abi_version(): " + message(e));
        }
        int expected = vim4j_h.VIM4J_ABI_VERSION();
        if (abi != expected) {
            return Status.unavailable(where + " has ABI version " + abi + " but these bindings need ABI version " + expected
                    + " (use vim4j-native and vim4j-bindings of the same build)");
        }
        try {
            return Status.loaded(isaName(loader.isa()), where);
        } catch (Throwable e) {
            return Status.unavailable(where + ": vim4j_isa() failed: " + message(e));
        }
    }

    private static String tryLoad(Loader loader, Path file) {
        try {
            loader.load(file);
            return null;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return message(e);
        }
    }

    static String isaName(int isa) {
        if (isa == vim4j_h.VIM4J_ISA_AVX512()) {
            return "avx512";
        } else if (isa == vim4j_h.VIM4J_ISA_AVX2()) {
            return "avx2";
        } else if (isa == vim4j_h.VIM4J_ISA_PORTABLE()) {
            return "portable";
        }
        return "isa " + isa;
    }

    /**
     * Copies the bundled library (and its properties) into {@code cacheRoot/<version>-<sha16>/} unless an
     * identical file is already there; returns the library's path, or null when nothing is bundled.
     */
    static Path extract(Resources resources, Path cacheRoot) throws IOException {
        return extract(resources, cacheRoot, LIBRARY_FILE);
    }

    /**
     * A bundled library extracted and given to a loader: {@code file} null when it is not bundled ({@code failure} says
     * why), else {@code failure} is the loader's, null when it loaded.
     */
    public record Bundled(Path file, String failure) {
    }

    /**
     * Another library of the vim4j-native jar ({@code libvim4j_cuda.so}) extracted the same way, into the same
     * versioned cache ({@code -Dvim4j.native.cacheDir} or {@code ~/.cache/vim4j}), and loaded by {@code load} (which
     * returns null or why it failed) under the cache's shared lock, so no other JVM cleans it away meanwhile.
     */
    public static Bundled loadBundled(String libraryFile, java.util.function.Function<Path, String> load) throws IOException {
        if (!isBundledPlatform()) {
            return new Bundled(null, "no bundled " + libraryFile + " for " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch") + " (only " + PLATFORM + " is built)");
        }
        Path root = Settings.fromSystemProperties().cacheDir();
        Bundled b = loadBundled(BundledFiles.find(), root, libraryFile, load);
        if (b.file() != null && b.failure() == null) {
            NativeCache.clean(root, b.file().getParent(), java.time.Instant.now());
        }
        return b;
    }

    static Bundled loadBundled(Resources resources, Path root, String libraryFile, java.util.function.Function<Path, String> load)
            throws IOException {
        return NativeCache.shared(root.toAbsolutePath(), () -> {
            Path file = extract(resources, root, libraryFile);
            return file == null ? new Bundled(null, resources.absent(libraryFile)) : new Bundled(file, load.apply(file));
        });
    }

    static Path extract(Resources resources, Path cacheRoot, String libraryFile) throws IOException {
        byte[] props;
        try (InputStream in = resources.open(PROPERTIES_FILE)) {
            props = in == null ? null : in.readAllBytes();
        }
        Properties p = new Properties();
        if (props != null) {
            p.load(new StringReader(new String(props, StandardCharsets.ISO_8859_1)));
        }
        String v = p.getProperty("version");
        String version = v != null && v.matches("[A-Za-z0-9._+-]+") ? v : "unversioned";
        // Fast path: the build wrote the library's SHA-256 and size (cmake/build-native.sh), so a cache directory this
        // or an earlier JVM filled is found without reading or hashing the 0.9 MB library (~100 ms of an interpreted
        // cold start). Files only ever appear there complete (temporary sibling + atomic rename); the size check
        // catches a truncated one, which the slow path below then replaces.
        String declared = p.getProperty("sha256." + libraryFile);
        long declaredSize = size(p.getProperty("size." + libraryFile));
        if (declared != null && declared.matches("[0-9a-f]{64}") && declaredSize > 0) {
            Path dir = cacheRoot.toAbsolutePath().resolve(version + "-" + declared.substring(0, 16));
            Path file = dir.resolve(libraryFile);
            if (Files.isRegularFile(file) && Files.size(file) == declaredSize && Files.isRegularFile(dir.resolve(PROPERTIES_FILE))) {
                NativeCache.touch(dir);
                return file;
            }
        }
        byte[] lib;
        try (InputStream in = resources.open(libraryFile)) {
            if (in == null) {
                return null;
            }
            lib = in.readAllBytes();
        }
        String sha = sha256(lib); // the library's own hash names its directory, whatever the properties claim
        Path dir = cacheRoot.toAbsolutePath().resolve(version + "-" + sha.substring(0, 16));
        Files.createDirectories(dir);
        NativeCache.touch(dir);
        Path file = dir.resolve(libraryFile);
        if (!sameContent(file, lib.length, sha)) {
            writeAtomically(file, lib);
        }
        if (props != null) {
            Path pf = dir.resolve(PROPERTIES_FILE);
            if (!sameContent(pf, props.length, sha256(props))) {
                writeAtomically(pf, props);
            }
        }
        return file;
    }

    private static long size(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean sameContent(Path file, long size, String sha) throws IOException {
        return Files.isRegularFile(file) && Files.size(file) == size && sha256(Files.readAllBytes(file)).equals(sha);
    }

    /** Temporary sibling + atomic rename: readers (other JVMs) see the old file or the complete new one. */
    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    static boolean isBundledPlatform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    private static String message(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExceptionInInitializerError || t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /** The real loader: System.load from this class, so the library belongs to the bindings' class loader. */
    static final class SystemLoader implements Loader {
        @Override
        @SuppressWarnings("restricted") // loading native code is this class's purpose; callers enable native access
        public void load(Path file) {
            System.load(file.toAbsolutePath().toString());
        }

        @Override
        @SuppressWarnings("restricted")
        public String loadLibrary(String name) {
            System.loadLibrary(name);
            String file = System.mapLibraryName(name);
            for (String dir : System.getProperty("java.library.path", "").split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isRegularFile(Path.of(dir, file))) {
                    return Path.of(dir, file).toAbsolutePath().toString();
                }
            }
            return file + " from java.library.path";
        }

        @Override
        public int abiVersion() {
            return vim4j_h.vim4j_abi_version();
        }

        @Override
        public int isa() {
            return vim4j_h.vim4j_isa();
        }
    }
}
