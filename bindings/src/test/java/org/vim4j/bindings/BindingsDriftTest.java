package org.vim4j.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * Keeps the committed bindings in step with {@code native/include/vim4j.h} without needing jextract:
 * the header's hash, every prototype against the generated functions, every constant; and, when a built
 * {@code libvim4j.so} is at hand, every symbol and the ABI version.
 *
 * <p>A binding's {@code $descriptor()} lives in the same holder class as its symbol lookup, so reading it
 * needs the library; without one, prototypes are checked against the wrapper methods' reflected signatures
 * (whose carriers jextract derives from the same descriptors), and the descriptor layouts themselves are
 * compared by {@link #withTheLibraryEverySymbolResolvesAndDescriptorsMatch} when the library is found.
 */
class BindingsDriftTest {
    static final String REGENERATE = "native/include/vim4j.h changed: run bindings/regenerate";

    private static Path root() {
        return Path.of(System.getProperty("vim4j.repoRoot", "..")).toAbsolutePath().normalize();
    }

    private static Path header() {
        return root().resolve("native/include/vim4j.h");
    }

    private static HeaderPrototypes prototypes() throws IOException {
        return HeaderPrototypes.parse(header());
    }

    @Test
    void headerHashMatchesTheBindings() throws IOException, NoSuchAlgorithmException {
        String recorded = Files.readString(root().resolve("bindings/HEADER.sha256")).strip().split("\\s+")[0];
        String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(header())));
        assertEquals(recorded, actual, REGENERATE);
        // The banner postprocess stamped into the generated source carries the same hash.
        Path src = root().resolve("bindings/src/main/java/org/vim4j/bindings/vim4j_h.java");
        assertTrue(Files.readString(src).contains("sha256=" + actual + ";"), REGENERATE + " (banner of vim4j_h.java is stale)");
    }

    @Test
    void everyPrototypeHasItsBindingAndNothingElse() throws IOException {
        Map<String, HeaderPrototypes.Function> header = prototypes().functions();
        TreeSet<String> bound = new TreeSet<>();
        for (Method m : vim4j_h.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && m.getName().endsWith("$descriptor")) {
                bound.add(m.getName().substring(0, m.getName().length() - "$descriptor".length()));
            }
        }
        assertEquals(new TreeSet<>(header.keySet()), bound, REGENERATE + " (functions differ)");
        for (HeaderPrototypes.Function f : header.values()) {
            Class<?>[] expected = f.params().stream().map(p -> carrier(p.type())).toArray(Class<?>[]::new);
            Method wrapper = publicStatic(f.name(), expected);
            assertEquals(f.params().size(), wrapper.getParameterCount(), REGENERATE + " (arity of " + f.name() + ")");
            assertEquals(carrier(f.returnType()), wrapper.getReturnType(), REGENERATE + " (return type of " + f.name() + ")");
            assertEquals(FunctionDescriptor.class, publicStatic(f.name() + "$descriptor").getReturnType());
            assertEquals(MethodHandle.class, publicStatic(f.name() + "$handle").getReturnType());
            assertEquals(MemorySegment.class, publicStatic(f.name() + "$address").getReturnType());
        }
    }

    @Test
    void everyConstantHasItsValue() throws Exception {
        Map<String, Long> header = new TreeMap<>();
        prototypes().constants().forEach((k, v) -> {
            if (k.startsWith("VIM4J_")) {
                header.put(k, v);
            }
        });
        Map<String, Long> bound = new TreeMap<>();
        for (Method m : vim4j_h.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) && m.getName().startsWith("VIM4J_")
                    && m.getParameterCount() == 0) {
                bound.put(m.getName(), ((Number) m.invoke(null)).longValue());
            }
        }
        assertFalse(header.isEmpty(), "no VIM4J_ constants parsed from " + header());
        assertEquals(header, bound, REGENERATE + " (constants differ)");
    }

    /** The pinned jextract filters name exactly the header's functions and constants (else regenerate drops some). */
    @Test
    void jextractArgsListExactlyTheHeadersSymbols() throws IOException {
        TreeSet<String> functions = new TreeSet<>(), constants = new TreeSet<>();
        String previous = "";
        for (String line : Files.readAllLines(root().resolve("bindings/jextract.args"))) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            if (previous.equals("--include-function")) {
                functions.add(t);
            } else if (previous.equals("--include-constant")) {
                constants.add(t);
            }
            previous = t;
        }
        HeaderPrototypes h = prototypes();
        assertEquals(new TreeSet<>(h.functions().keySet()), functions, "bindings/jextract.args --include-function list vs vim4j.h");
        TreeSet<String> defined = new TreeSet<>(h.constants().keySet());
        defined.removeIf(n -> !n.startsWith("VIM4J_"));
        assertEquals(defined, constants, "bindings/jextract.args --include-constant list vs vim4j.h");
    }

    @Test
    void theParserRejectsWhatTheBindingsCannotExpress() {
        assertThrowsIae("struct s { int x; };");
        assertThrowsIae("long vim4j_f(int32_t a);");
        assertThrowsIae("#define VIM4J_NAME \"text\"\n");
        assertThrowsIae("int32_t vim4j_f(int32_t (*cb)(void));");
        HeaderPrototypes p = HeaderPrototypes.parse("/* c */ #define VIM4J_X 7\nconst char* vim4j_g(void);\n"
                + "int64_t vim4j_h2(const float* a, int64_t n);");
        assertEquals(Map.of("VIM4J_X", 7L), p.constants());
        assertEquals(List.of("vim4j_g", "vim4j_h2"), new ArrayList<>(p.functions().keySet()));
        assertEquals(2, p.functions().get("vim4j_h2").params().size());
        assertTrue(p.functions().get("vim4j_g").returnType().pointer());
    }

    /**
     * (c) With a built library (from {@code -Dvim4j.native.dir} or the native module's build output): load it
     * the way vim4j's loader does (System.load, so the bindings' loader lookup sees it), then every symbol
     * resolves, every descriptor has the header's layouts and the library's ABI version is the bindings'.
     */
    @Test
    @SuppressWarnings("restricted")
    void withTheLibraryEverySymbolResolvesAndDescriptorsMatch() throws IOException {
        Path lib = library();
        assumeTrue(lib != null, "no built libvim4j.so: set -Dvim4j.native.dir=DIR or build the native module first "
                + "(looked in " + candidates() + ")");
        System.load(lib.toString());
        assertEquals(vim4j_h.VIM4J_ABI_VERSION(), vim4j_h.vim4j_abi_version(), "ABI version of " + lib);
        for (HeaderPrototypes.Function f : prototypes().functions().values()) {
            MemorySegment addr = (MemorySegment) invoke(f.name() + "$address");
            assertNotNull(addr);
            assertFalse(addr.equals(MemorySegment.NULL), f.name() + " resolved to NULL");
            FunctionDescriptor desc = (FunctionDescriptor) invoke(f.name() + "$descriptor");
            assertEquals(expected(f), desc, REGENERATE + " (descriptor of " + f.name() + ")");
            MethodHandle mh = (MethodHandle) invoke(f.name() + "$handle");
            assertEquals(desc.toMethodType(), mh.type(), f.name() + "$handle type");
        }
    }

    /** The descriptor jextract makes for a prototype of our grammar. */
    static FunctionDescriptor expected(HeaderPrototypes.Function f) {
        MemoryLayout[] args = f.params().stream().map(p -> layout(p.type())).toArray(MemoryLayout[]::new);
        return f.returnType().isVoid() ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(layout(f.returnType()), args);
    }

    static MemoryLayout layout(HeaderPrototypes.CType t) {
        if (t.pointer()) {
            return vim4j_h.C_POINTER;
        }
        return switch (t.base()) {
            case "int32_t" -> vim4j_h.C_INT;
            case "int64_t" -> vim4j_h.C_LONG_LONG; // == C_LONG (jextract's choice on LP64 Linux): both 64-bit
            case "float" -> vim4j_h.C_FLOAT;
            case "double" -> vim4j_h.C_DOUBLE;
            case "char" -> vim4j_h.C_CHAR;
            default -> throw new IllegalArgumentException("no layout for " + t);
        };
    }

    static Class<?> carrier(HeaderPrototypes.CType t) {
        if (t.pointer()) {
            return MemorySegment.class;
        }
        return switch (t.base()) {
            case "void" -> void.class;
            case "int32_t" -> int.class;
            case "int64_t" -> long.class;
            case "float" -> float.class;
            case "double" -> double.class;
            case "char" -> byte.class;
            default -> throw new IllegalArgumentException("no carrier for " + t);
        };
    }

    private static Method publicStatic(String name, Class<?>... params) {
        try {
            Method m = vim4j_h.class.getMethod(name, params);
            assertTrue(Modifier.isStatic(m.getModifiers()), name + " is not static");
            return m;
        } catch (NoSuchMethodException e) {
            return fail(REGENERATE + " (no binding " + name + List.of(params).stream().map(Class::getSimpleName).toList() + ")");
        }
    }

    private static Object invoke(String name) {
        try {
            return vim4j_h.class.getMethod(name).invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(name + ": " + e.getCause(), e);
        }
    }

    private static List<Path> candidates() {
        List<Path> c = new ArrayList<>();
        String dir = System.getProperty("vim4j.native.dir");
        if (dir != null && !dir.isBlank()) {
            c.add(Path.of(dir, "libvim4j.so"));
        }
        c.add(root().resolve("native/target/classes/org/vim4j/native/linux-x86_64/libvim4j.so"));
        return c;
    }

    private static Path library() {
        return candidates().stream().filter(Files::isRegularFile).findFirst().orElse(null);
    }

    private static void assertThrowsIae(String text) {
        try {
            HeaderPrototypes.parse(text);
            fail("accepted: " + text);
        } catch (IllegalArgumentException expected) {
            // the grammar guard works
        }
    }
}
