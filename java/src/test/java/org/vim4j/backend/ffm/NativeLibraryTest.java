package org.vim4j.backend.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.bindings.vim4j_h;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;

/** The loader's precedence, extraction cache and ABI check (with fakes), and the real library when it is built. */
class NativeLibraryTest {

    /** Records what the loader was asked to do; answers with the given ABI version. */
    static final class FakeLoader implements NativeLibrary.Loader {
        final List<String> calls = new ArrayList<>();
        int abi = vim4j_h.VIM4J_ABI_VERSION();
        Throwable loadFailure;
        Error abiFailure;

        @Override
        public void load(Path file) {
            calls.add("load " + file);
            if (loadFailure instanceof Error e) {
                throw e;
            } else if (loadFailure != null) {
                throw (RuntimeException) loadFailure;
            }
        }

        @Override
        public String loadLibrary(String name) {
            calls.add("loadLibrary " + name);
            throw new UnsatisfiedLinkError("no " + name + " in java.library.path: /nowhere");
        }

        @Override
        public int abiVersion() {
            if (abiFailure != null) {
                throw abiFailure;
            }
            return abi;
        }

        @Override
        public int isa() {
            return vim4j_h.VIM4J_ISA_AVX2();
        }
    }

    static NativeLibrary.Resources resources(byte[] lib, String props) {
        return name -> switch (name) {
            case NativeLibrary.LIBRARY_FILE -> lib == null ? null : new ByteArrayInputStream(lib);
            case NativeLibrary.PROPERTIES_FILE -> props == null ? null : new ByteArrayInputStream(props.getBytes(StandardCharsets.ISO_8859_1));
            default -> null;
        };
    }

    static final NativeLibrary.Resources NONE = name -> null;
    static final byte[] LIB = "not really an ELF file, only bytes to extract".getBytes(StandardCharsets.UTF_8);

    @Test
    void skipPropertyWinsOverEverything(@TempDir Path tmp) {
        FakeLoader loader = new FakeLoader();
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(true, tmp.toString(), tmp, true), loader,
                resources(LIB, null));
        assertFalse(s.available());
        assertEquals("skipped by vim4j.native.skip", s.reason());
        assertTrue(loader.calls.isEmpty(), loader.calls.toString());
    }

    @Test
    void explicitDirWithoutTheLibraryFailsClearlyWithoutFallback(@TempDir Path tmp) {
        FakeLoader loader = new FakeLoader();
        Path dir = tmp.resolve("no-such-dir");
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(false, dir.toString(), tmp, true), loader,
                resources(LIB, null));
        assertFalse(s.available());
        assertTrue(s.reason().contains("-Dvim4j.native.dir=" + dir), s.reason());
        assertTrue(s.reason().contains("no libvim4j.so"), s.reason());
        assertTrue(loader.calls.isEmpty(), "no fallback to the classpath or java.library.path: " + loader.calls);
    }

    @Test
    void explicitDirWithABrokenLibraryNamesTheFile(@TempDir Path tmp) throws IOException {
        Path lib = Files.write(tmp.resolve("libvim4j.so"), LIB);
        FakeLoader loader = new FakeLoader();
        loader.loadFailure = new UnsatisfiedLinkError(lib + ": invalid ELF header");
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(false, tmp.toString(), tmp, true), loader,
                resources(LIB, null));
        assertFalse(s.available());
        assertTrue(s.reason().contains("cannot load " + lib.toAbsolutePath()), s.reason());
        assertTrue(s.reason().contains("UnsatisfiedLinkError: " + lib + ": invalid ELF header"), s.reason());
        assertEquals(1, loader.calls.size(), "no fallback: " + loader.calls);
    }

    @Test
    void theRealLoaderReportsAFailedLoadAsAnError(@TempDir Path tmp) {
        // System.load of a file that is gone: the UnsatisfiedLinkError the resolver catches (no dlopen of junk).
        assertThrows(UnsatisfiedLinkError.class, () -> new NativeLibrary.SystemLoader().load(tmp.resolve("gone/libvim4j.so")));
    }

    @Test
    void explicitDirLoadsThatFile(@TempDir Path tmp) throws IOException {
        Files.write(tmp.resolve("libvim4j.so"), LIB);
        FakeLoader loader = new FakeLoader();
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(false, tmp.toString(), tmp.resolve("cache"), true),
                loader, resources(LIB, null));
        assertTrue(s.available(), s.reason());
        assertEquals("avx2", s.isa());
        assertEquals(List.of("load " + tmp.resolve("libvim4j.so").toAbsolutePath()), loader.calls);
        assertFalse(Files.exists(tmp.resolve("cache")), "the classpath copy is not even extracted");
    }

    @Test
    void bundledLibraryIsExtractedIntoTheVersionedCacheAndLoaded(@TempDir Path tmp) {
        FakeLoader loader = new FakeLoader();
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(false, null, tmp, true), loader,
                resources(LIB, "version=1.2.3\nabi=1\n"));
        assertTrue(s.available(), s.reason());
        Path expected = tmp.toAbsolutePath().resolve("1.2.3-" + NativeLibrary.sha256(LIB).substring(0, 16)).resolve("libvim4j.so");
        assertEquals(expected.toString(), s.path());
        assertEquals(List.of("load " + expected), loader.calls);
        assertTrue(Files.isRegularFile(expected.resolveSibling("vim4j-native.properties")));
    }

    @Test
    void abiMismatchIsUnavailableNamingBothVersions(@TempDir Path tmp) {
        FakeLoader loader = new FakeLoader();
        loader.abi = vim4j_h.VIM4J_ABI_VERSION() + 41;
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(false, null, tmp, true), loader,
                resources(LIB, null));
        assertFalse(s.available());
        assertTrue(s.reason().contains("ABI version " + loader.abi), s.reason());
        assertTrue(s.reason().contains("ABI version " + vim4j_h.VIM4J_ABI_VERSION()), s.reason());
        assertEquals(1, loader.calls.size(), "no second attempt after a version mismatch: " + loader.calls);
    }

    @Test
    void aLibraryWithoutTheSymbolIsUnavailableNotACrash(@TempDir Path tmp) {
        FakeLoader loader = new FakeLoader();
        loader.abiFailure = new ExceptionInInitializerError(new java.util.NoSuchElementException("Symbol not found: vim4j_abi_version"));
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(false, null, tmp, true), loader,
                resources(LIB, null));
        assertFalse(s.available());
        assertTrue(s.reason().contains("vim4j_abi_version"), s.reason());
    }

    @Test
    void withoutABundledLibraryItTriesJavaLibraryPathAndSaysWhatFailed(@TempDir Path tmp) {
        FakeLoader loader = new FakeLoader();
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(false, null, tmp, true), loader, NONE);
        assertFalse(s.available());
        assertEquals(List.of("loadLibrary vim4j"), loader.calls);
        assertTrue(s.reason().contains("no bundled library"), s.reason());
        assertTrue(s.reason().contains("System.loadLibrary(\"vim4j\") failed"), s.reason());
    }

    @Test
    void aBundledLibraryThatDoesNotLoadFallsBackToJavaLibraryPath(@TempDir Path tmp) {
        FakeLoader loader = new FakeLoader();
        loader.loadFailure = new IllegalArgumentException("boom");
        NativeLibrary.Status s = NativeLibrary.resolve(new NativeLibrary.Settings(false, null, tmp, true), loader,
                resources(LIB, null));
        assertFalse(s.available());
        assertEquals(2, loader.calls.size(), loader.calls.toString());
        assertTrue(s.reason().contains("does not load: IllegalArgumentException: boom"), s.reason());
    }

    @Test
    void extractionTwiceReusesTheFile(@TempDir Path tmp) throws Exception {
        NativeLibrary.Resources r = resources(LIB, "version=0.1.0-SNAPSHOT\n");
        Path first = NativeLibrary.extract(r, tmp);
        Object key = Files.readAttributes(first, BasicFileAttributes.class).fileKey();
        long modified = Files.getLastModifiedTime(first).toMillis();
        Thread.sleep(20);
        Path second = NativeLibrary.extract(r, tmp);
        assertEquals(first, second);
        assertEquals(key, Files.readAttributes(second, BasicFileAttributes.class).fileKey(), "same inode: not rewritten");
        assertEquals(modified, Files.getLastModifiedTime(second).toMillis());
        assertTrue(first.getParent().getFileName().toString().startsWith("0.1.0-SNAPSHOT-"));
        assertEquals(Set.of("libvim4j.so", "vim4j-native.properties"), names(first.getParent()));
    }

    @Test
    void aDamagedCachedFileIsReplaced(@TempDir Path tmp) throws IOException {
        NativeLibrary.Resources r = resources(LIB, null);
        Path file = NativeLibrary.extract(r, tmp);
        Files.write(file, "truncat".getBytes(StandardCharsets.UTF_8));
        assertEquals(file, NativeLibrary.extract(r, tmp));
        assertTrue(java.util.Arrays.equals(LIB, Files.readAllBytes(file)));
        assertTrue(file.getParent().getFileName().toString().startsWith("unversioned-"));
    }

    /** Properties as cmake/build-native.sh writes them: the library's SHA-256 and size. */
    static String buildProperties(byte[] lib, String sha) {
        return "version=0.1.0\nsha256.libvim4j.so=" + sha + "\nsize.libvim4j.so=" + lib.length + "\n";
    }

    @Test
    void theBuildsHashFindsTheCachedLibraryWithoutReadingIt(@TempDir Path tmp) throws IOException {
        String props = buildProperties(LIB, NativeLibrary.sha256(LIB));
        Path first = NativeLibrary.extract(resources(LIB, props), tmp);
        assertTrue(first.getParent().getFileName().toString().equals("0.1.0-" + NativeLibrary.sha256(LIB).substring(0, 16)));
        List<String> opened = new ArrayList<>();
        NativeLibrary.Resources counting = name -> {
            opened.add(name);
            return resources(LIB, props).open(name);
        };
        assertEquals(first, NativeLibrary.extract(counting, tmp));
        assertEquals(List.of(NativeLibrary.PROPERTIES_FILE), opened, "the library itself is neither read nor hashed");

        Files.write(first, "truncat".getBytes(StandardCharsets.UTF_8)); // the size the build wrote catches this
        opened.clear();
        assertEquals(first, NativeLibrary.extract(counting, tmp));
        assertTrue(java.util.Arrays.equals(LIB, Files.readAllBytes(first)));
        assertEquals(List.of(NativeLibrary.PROPERTIES_FILE, NativeLibrary.LIBRARY_FILE), opened);
    }

    @Test
    void aWrongHashInThePropertiesIsNotTrusted(@TempDir Path tmp) throws IOException {
        String wrong = "0".repeat(64);
        Path file = NativeLibrary.extract(resources(LIB, buildProperties(LIB, wrong)), tmp);
        assertEquals("0.1.0-" + NativeLibrary.sha256(LIB).substring(0, 16), file.getParent().getFileName().toString(),
                "the directory is named by the library's own hash");
        assertTrue(java.util.Arrays.equals(LIB, Files.readAllBytes(file)));
        assertFalse(Files.exists(tmp.resolve("0.1.0-" + wrong.substring(0, 16))));
    }

    @Test
    void aNewLibraryGoesToANewDirectory(@TempDir Path tmp) throws IOException {
        Path a = NativeLibrary.extract(resources(LIB, null), tmp);
        byte[] other = "another build".getBytes(StandardCharsets.UTF_8);
        Path b = NativeLibrary.extract(resources(other, null), tmp);
        assertNotEquals(a.getParent(), b.getParent());
        assertTrue(java.util.Arrays.equals(LIB, Files.readAllBytes(a)), "the library an older JVM loaded stays intact");
    }

    @Test
    void concurrentExtractionsAgreeAndLeaveNoTemporaries(@TempDir Path tmp) throws Exception {
        byte[] big = new byte[3 << 20]; // big enough that writers overlap
        new java.util.Random(7).nextBytes(big);
        int n = 6;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            for (int round = 0; round < 3; round++) {
                Path cache = tmp.resolve("round" + round);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Path>> results = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        return NativeLibrary.extract(resources(big, "version=9\n"), cache);
                    }));
                }
                start.countDown();
                Set<Path> paths = new HashSet<>();
                for (Future<Path> f : results) {
                    paths.add(f.get());
                }
                assertEquals(1, paths.size(), paths.toString());
                Path file = paths.iterator().next();
                assertTrue(java.util.Arrays.equals(big, Files.readAllBytes(file)));
                assertEquals(Set.of("libvim4j.so", "vim4j-native.properties"), names(file.getParent()), "no temporaries left");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void isaNames() {
        assertEquals("portable", NativeLibrary.isaName(vim4j_h.VIM4J_ISA_PORTABLE()));
        assertEquals("avx2", NativeLibrary.isaName(vim4j_h.VIM4J_ISA_AVX2()));
        assertEquals("avx512", NativeLibrary.isaName(vim4j_h.VIM4J_ISA_AVX512()));
        assertEquals("isa 17", NativeLibrary.isaName(17));
    }

    /** The real thing, as this JVM found it: loaded with every symbol, or unavailable with a reason. */
    @Test
    void theRealLibraryResolvesEverySymbolAndMatchesTheAbi() throws Exception {
        NativeLibrary.Status s = NativeLibrary.status();
        Map<BackendKind, String> why = Backends.unavailable();
        if (!s.available()) {
            assertNull(s.isa());
            assertEquals(s.reason(), why.get(BackendKind.NATIVE), "Backends reports the loader's reason");
        }
        assumeTrue(s.available(), "native library not available: " + s.reason());
        assertFalse(why.containsKey(BackendKind.NATIVE));
        assertTrue(Files.isRegularFile(Path.of(s.path())) || s.path().contains("java.library.path"), s.path());
        assertEquals(vim4j_h.VIM4J_ABI_VERSION(), vim4j_h.vim4j_abi_version());
        assertEquals(s.isa(), NativeLibrary.isaName(vim4j_h.vim4j_isa()));
        int functions = 0;
        for (Method m : vim4j_h.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && m.getName().endsWith("$address")) {
                MemorySegment addr = (MemorySegment) m.invoke(null);
                assertNotEquals(0L, addr.address(), m.getName());
                functions++;
            }
        }
        assertTrue(functions >= 12, "functions bound: " + functions);
        Method describe = Backends.class.getDeclaredMethod("describe", BackendKind.class, String.class, Map.class);
        describe.setAccessible(true);
        String line = (String) describe.invoke(null, BackendKind.NATIVE, "native", why);
        assertTrue(line.startsWith("vim4j backend native (forced, " + s.isa() + " ISA, "), line);
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new HashSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
