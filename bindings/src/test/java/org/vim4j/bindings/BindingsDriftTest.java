package org.vim4j.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeps the committed bindings in step with their C headers without needing jextract, for each ABI
 * ({@code native/include/vim4j.h} -> {@link vim4j_h}, {@code native/include/vim4j_cuda.h} -> {@link vim4j_cuda_h}):
 * the header's hash, every prototype against the generated functions, every constant; and, when a built
 * library ({@code libvim4j.so}, {@code libvim4j_cuda.so}) is at hand, every symbol and the ABI version.
 *
 * <p>A binding's {@code $descriptor()} lives in the same holder class as its symbol lookup, so reading it
 * needs the library; without one, prototypes are checked against the wrapper methods' reflected signatures
 * (whose carriers jextract derives from the same descriptors), and the descriptor layouts themselves are
 * compared by {@link #withTheLibraryEverySymbolResolvesAndDescriptorsMatch} when the library is found.
 */
class BindingsDriftTest {
    /**
     * One C ABI and its bindings: the header (relative to the repository root), the generated header class, the
     * pinned jextract argument file, the constant prefix, the built library's file name and its ABI-version function.
     */
    record Abi(String header, Class<?> bindings, String jextractArgs, String constantPrefix, String library,
            String abiFunction, String abiConstant) {
        String regenerate() {
            return header + " changed: run bindings/regenerate";
        }

        @Override
        public String toString() {
            return header;
        }
    }

    static final Abi CPU = new Abi("native/include/vim4j.h", vim4j_h.class, "jextract.args", "VIM4J_", "libvim4j.so",
            "vim4j_abi_version", "VIM4J_ABI_VERSION");
    static final Abi CUDA = new Abi("native/include/vim4j_cuda.h", vim4j_cuda_h.class, "jextract-cuda.args", "VIM4J_CUDA_",
            "libvim4j_cuda.so", "vim4j_cuda_abi_version", "VIM4J_CUDA_ABI_VERSION");

    static List<Abi> abis() {
        return List.of(CPU, CUDA);
    }

    private static Path root() {
        return Path.of(System.getProperty("vim4j.repoRoot", "..")).toAbsolutePath().normalize();
    }

    private static HeaderPrototypes prototypes(Abi abi) throws IOException {
        return HeaderPrototypes.parse(root().resolve(abi.header()));
    }

    /** The header's constants: those with its prefix (vim4j.h's VIM4J_ excludes vim4j_cuda.h's VIM4J_CUDA_ only by file). */
    private static Map<String, Long> headerConstants(Abi abi) throws IOException {
        Map<String, Long> header = new TreeMap<>();
        prototypes(abi).constants().forEach((k, v) -> {
            if (k.startsWith(abi.constantPrefix())) {
                header.put(k, v);
            }
        });
        return header;
    }

    @ParameterizedTest
    @MethodSource("abis")
    void headerHashMatchesTheBindings(Abi abi) throws IOException, NoSuchAlgorithmException {
        String recorded = null;
        for (String line : Files.readAllLines(root().resolve("bindings/HEADER.sha256"))) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 2 && f[1].equals(abi.header())) {
                recorded = f[0];
            }
        }
        assertNotNull(recorded, "bindings/HEADER.sha256 has no line for " + abi.header() + ": " + abi.regenerate());
        String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(root().resolve(abi.header()))));
        assertEquals(recorded, actual, abi.regenerate());
        // The banner postprocess stamped into the generated sources carries the same hash (struct classes too).
        List<String> files = new ArrayList<>(List.of(abi.bindings().getSimpleName() + ".java",
                abi.bindings().getSimpleName() + "$shared.java"));
        prototypes(abi).structs().keySet().forEach(st -> files.add(st + ".java"));
        for (String file : files) {
            Path src = root().resolve("bindings/src/main/java/org/vim4j/bindings/" + file);
            assertTrue(Files.readString(src).contains("sha256=" + actual + ";"), abi.regenerate() + " (banner of " + file
                    + " is stale)");
        }
    }

    @ParameterizedTest
    @MethodSource("abis")
    void everyPrototypeHasItsBindingAndNothingElse(Abi abi) throws IOException {
        Map<String, HeaderPrototypes.Function> header = prototypes(abi).functions();
        String regenerate = abi.regenerate();
        TreeSet<String> bound = new TreeSet<>();
        for (Method m : abi.bindings().getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && m.getName().endsWith("$descriptor")) {
                bound.add(m.getName().substring(0, m.getName().length() - "$descriptor".length()));
            }
        }
        assertEquals(new TreeSet<>(header.keySet()), bound, regenerate + " (functions differ)");
        for (HeaderPrototypes.Function f : header.values()) {
            Class<?>[] expected = f.params().stream().map(p -> carrier(p.type())).toArray(Class<?>[]::new);
            Method wrapper = publicStatic(abi, f.name(), expected);
            assertEquals(f.params().size(), wrapper.getParameterCount(), regenerate + " (arity of " + f.name() + ")");
            assertEquals(carrier(f.returnType()), wrapper.getReturnType(), regenerate + " (return type of " + f.name() + ")");
            assertEquals(FunctionDescriptor.class, publicStatic(abi, f.name() + "$descriptor").getReturnType());
            assertEquals(MethodHandle.class, publicStatic(abi, f.name() + "$handle").getReturnType());
            assertEquals(MemorySegment.class, publicStatic(abi, f.name() + "$address").getReturnType());
        }
    }

    @ParameterizedTest
    @MethodSource("abis")
    void everyConstantHasItsValue(Abi abi) throws Exception {
        Map<String, Long> header = headerConstants(abi);
        Map<String, Long> bound = new TreeMap<>();
        for (Method m : abi.bindings().getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())
                    && m.getName().startsWith(abi.constantPrefix()) && m.getParameterCount() == 0) {
                bound.put(m.getName(), ((Number) m.invoke(null)).longValue());
            }
        }
        assertFalse(header.isEmpty(), "no " + abi.constantPrefix() + " constants parsed from " + abi.header());
        assertEquals(header, bound, abi.regenerate() + " (constants differ)");
    }

    /** The pinned jextract filters name exactly the header's functions and constants (else regenerate drops some). */
    @ParameterizedTest
    @MethodSource("abis")
    void jextractArgsListExactlyTheHeadersSymbols(Abi abi) throws IOException {
        TreeSet<String> functions = new TreeSet<>(), constants = new TreeSet<>(), structs = new TreeSet<>();
        String previous = "";
        String headerClass = null;
        for (String line : Files.readAllLines(root().resolve("bindings/" + abi.jextractArgs()))) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            if (previous.equals("--include-function")) {
                functions.add(t);
            } else if (previous.equals("--include-constant")) {
                constants.add(t);
            } else if (previous.equals("--include-struct")) {
                structs.add(t);
            } else if (previous.equals("--header-class-name")) {
                headerClass = t;
            }
            previous = t;
        }
        HeaderPrototypes h = prototypes(abi);
        String args = "bindings/" + abi.jextractArgs();
        assertEquals(abi.bindings().getSimpleName(), headerClass, args + " --header-class-name");
        assertEquals(new TreeSet<>(h.functions().keySet()), functions, args + " --include-function list vs " + abi.header());
        assertEquals(new TreeSet<>(headerConstants(abi).keySet()), constants, args + " --include-constant list vs " + abi.header());
        assertEquals(new TreeSet<>(h.structs().keySet()), structs, args + " --include-struct list vs " + abi.header());
    }

    /**
     * Every struct of the header has its class in jextract's shape, with exactly the header's layout: field names,
     * types, order, offsets and padding under the platform's natural alignment (LP64), nested structs included; its
     * accessors have the fields' carriers. A reordered, retyped, added or removed field fails here.
     */
    @ParameterizedTest
    @MethodSource("abis")
    void everyStructHasItsClassWithTheHeadersLayout(Abi abi) throws Exception {
        HeaderPrototypes h = prototypes(abi);
        for (HeaderPrototypes.Struct st : h.structs().values()) {
            List<String> problems = structProblems(h, st.name());
            assertTrue(problems.isEmpty(), abi.regenerate() + " (struct " + st.name() + ": " + String.join("; ", problems) + ")");
        }
    }

    /** The struct classes in the bindings are exactly the headers' structs (none left over from a removed struct). */
    @Test
    void theStructClassesAreExactlyTheHeadersStructs() throws IOException {
        TreeSet<String> header = new TreeSet<>(), generated = new TreeSet<>();
        for (Abi abi : abis()) {
            header.addAll(prototypes(abi).structs().keySet());
        }
        try (var files = Files.list(root().resolve("bindings/src/main/java/org/vim4j/bindings"))) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f) && Files.readString(f).contains("GroupLayout $LAYOUT = MemoryLayout.structLayout(")) {
                    String name = f.getFileName().toString();
                    generated.add(name.substring(0, name.length() - ".java".length()));
                }
            }
        }
        assertEquals(header, generated, "struct classes vs the headers' structs: run bindings/regenerate");
    }

    /** The layout check sees drift: a header whose struct changed no longer matches the committed class. */
    @Test
    void aChangedStructFailsTheLayoutCheck() throws IOException {
        String text = Files.readString(root().resolve(CUDA.header()));
        String original = "struct vim4j_cuda_linear_weight {\n    const void* weight;\n    const float* bias;\n    int32_t n;";
        assertTrue(text.contains(original), "the test's anchor moved: update this test");
        assertTrue(structProblems(HeaderPrototypes.parse(text), "vim4j_cuda_linear_weight").isEmpty());
        Map<String, String> drifts = Map.of(
                "swapped fields", "struct vim4j_cuda_linear_weight {\n    const float* bias;\n    const void* weight;\n    int32_t n;",
                "retyped field", "struct vim4j_cuda_linear_weight {\n    const void* weight;\n    const float* bias;\n    int64_t n;",
                "added field", "struct vim4j_cuda_linear_weight {\n    const void* weight;\n    const float* bias;\n    int32_t extra;\n    int32_t n;",
                "renamed field", "struct vim4j_cuda_linear_weight {\n    const void* weight;\n    const float* bias;\n    int32_t rows;");
        for (var d : drifts.entrySet()) {
            HeaderPrototypes changed = HeaderPrototypes.parse(text.replace(original, d.getValue()));
            assertFalse(structProblems(changed, "vim4j_cuda_linear_weight").isEmpty(), d.getKey() + " went unnoticed");
            // a struct that nests the changed one drifts with it
            assertFalse(structProblems(changed, "vim4j_cuda_mixer_weights").isEmpty(), d.getKey() + " (nested) went unnoticed");
        }
    }

    /** The same for the CPU ABI, over every kind of drift: order, type and size, added, renamed, removed, padding. */
    @Test
    void aChangedCpuStructFailsTheLayoutCheck() throws IOException {
        String header = Files.readString(root().resolve(CPU.header()));
        String[][] mutations = {
            {"vim4j_linear_weight", "int32_t n;\n    int32_t k;", "int32_t k;\n    int32_t n;"},        // order
            {"vim4j_rows", "float* data;\n    int64_t ld;", "float* data;\n    int32_t ld;"},           // type, size
            {"vim4j_scan_weights", "int32_t states;\n", "int32_t states;\n    int32_t extra;\n"},       // added
            {"vim4j_mixer_dims", "int32_t dt_rank;", "int32_t dtrank;"},                              // renamed
            {"vim4j_branch_buffers", "float* xc;\n    float* x_dbl;", "float* xc;"},                    // removed
            {"vim4j_conv_weights", "const float* weight;\n    const float* bias;\n    int32_t channels;",
                "int32_t channels;\n    const float* weight;\n    const float* bias;"},                // padding
            {"vim4j_linear_weight", "const float* bias;", "float bias;"},                             // pointer
        };
        assertTrue(structProblems(HeaderPrototypes.parse(header), "vim4j_mixer_weights").isEmpty());
        for (String[] m : mutations) {
            assertTrue(header.contains(m[1]), "mutation anchor not in the header: " + m[1]);
            HeaderPrototypes mutated = HeaderPrototypes.parse(header.replace(m[1], m[2]));
            assertFalse(structProblems(mutated, m[0]).isEmpty(), "drift not detected: struct " + m[0] + " with " + m[2]);
        }
    }

    /** The CPU structs' accessors write their fields where C reads them: set through the accessors, read raw. */
    @Test
    void cpuStructAccessorsWriteTheCLayout() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment s = vim4j_scan_weights.allocate(arena);
            MemorySegment p = arena.allocate(64);
            vim4j_scan_weights.d_skip(s, p);
            vim4j_scan_weights.states(s, 16);
            assertEquals(p.address(), s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 8));
            assertEquals(16, s.get(java.lang.foreign.ValueLayout.JAVA_INT, 28));
            MemorySegment b = vim4j_mixer_buffers.allocate(arena);
            vim4j_branch_buffers.x_dbl(vim4j_mixer_buffers.backward(b), p);
            vim4j_mixer_dims.dt_rank(vim4j_mixer_buffers.dims(b), 12);
            assertEquals(p.address(), b.get(java.lang.foreign.ValueLayout.JAVA_LONG, 88));
            assertEquals(12, b.get(java.lang.foreign.ValueLayout.JAVA_INT, 12));
            assertEquals(96, vim4j_mixer_buffers.sizeof());
            assertEquals(352, vim4j_mixer_weights.sizeof());
            MemorySegment lw = vim4j_linear_weight.allocate(arena);
            vim4j_linear_weight.precision(lw, 2);
            vim4j_linear_weight.scales(lw, p);
            assertEquals(2, lw.get(java.lang.foreign.ValueLayout.JAVA_INT, 24));
            assertEquals(p.address(), lw.get(java.lang.foreign.ValueLayout.JAVA_LONG, 32));
            assertEquals(40, vim4j_linear_weight.sizeof());
        }
    }

    /** Differences between the struct {@code name} of the header {@code h} and its generated class; empty if none. */
    static List<String> structProblems(HeaderPrototypes h, String name) {
        List<String> problems = new ArrayList<>();
        Class<?> cls;
        try {
            cls = Class.forName("org.vim4j.bindings." + name);
        } catch (ClassNotFoundException e) {
            return List.of("no class org.vim4j.bindings." + name);
        }
        GroupLayout want = structLayout(h, name);
        GroupLayout got = (GroupLayout) call(cls, "layout");
        if (!want.equals(got)) {
            problems.add("layout " + got + " but the header says " + want);
        }
        if ((long) call(cls, "sizeof") != want.byteSize()) {
            problems.add("sizeof " + call(cls, "sizeof") + " but the header's struct has " + want.byteSize() + " bytes");
        }
        for (HeaderPrototypes.Param f : h.structs().get(name).fields()) {
            String field = f.name();
            long offset = want.byteOffset(MemoryLayout.PathElement.groupElement(field));
            try {
                if ((long) cls.getMethod(field + "$offset").invoke(null) != offset) {
                    problems.add(field + "$offset() is " + cls.getMethod(field + "$offset").invoke(null) + ", the header's " + offset);
                }
                Class<?> carrier = f.type().struct() != null && !f.type().pointer() ? MemorySegment.class : carrier(f.type());
                if (cls.getMethod(field, MemorySegment.class).getReturnType() != carrier) {
                    problems.add("getter " + field + " does not return " + carrier.getSimpleName());
                }
                cls.getMethod(field, MemorySegment.class, carrier); // the setter
            } catch (NoSuchMethodException e) {
                problems.add("no accessor " + e.getMessage());
            } catch (ReflectiveOperationException e) {
                problems.add(field + ": " + e);
            }
        }
        for (String m : List.of("layout", "sizeof")) {
            try {
                cls.getMethod(m);
            } catch (NoSuchMethodException e) {
                problems.add("no " + m + "()");
            }
        }
        try {
            cls.getMethod("allocate", java.lang.foreign.SegmentAllocator.class);
            cls.getMethod("allocateArray", long.class, java.lang.foreign.SegmentAllocator.class);
            cls.getMethod("asSlice", MemorySegment.class, long.class);
        } catch (NoSuchMethodException e) {
            problems.add("no " + e.getMessage());
        }
        return problems;
    }

    private static Object call(Class<?> cls, String method) {
        try {
            return cls.getMethod(method).invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(cls.getSimpleName() + "." + method + "(): " + e, e);
        }
    }

    /**
     * The layout jextract gives a struct of the header on LP64 Linux: each field at its natural alignment (padding
     * before it where needed, and at the end to the struct's alignment), named as in C; a nested struct is its own
     * layout renamed to the field.
     */
    static GroupLayout structLayout(HeaderPrototypes h, String name) {
        List<MemoryLayout> members = new ArrayList<>();
        long offset = 0, align = 1;
        for (HeaderPrototypes.Param f : h.structs().get(name).fields()) {
            MemoryLayout l = f.type().struct() != null && !f.type().pointer() ? structLayout(h, f.type().struct())
                    : layout(f.type());
            long pad = (l.byteAlignment() - offset % l.byteAlignment()) % l.byteAlignment();
            if (pad > 0) {
                members.add(MemoryLayout.paddingLayout(pad));
            }
            members.add(l.withName(f.name()));
            offset += pad + l.byteSize();
            align = Math.max(align, l.byteAlignment());
        }
        if (offset % align != 0) {
            members.add(MemoryLayout.paddingLayout(align - offset % align));
        }
        return MemoryLayout.structLayout(members.toArray(MemoryLayout[]::new)).withName(name);
    }

    @Test
    void theParserRejectsWhatTheBindingsCannotExpress() {
        assertThrowsIae("struct s { int x; };");
        assertThrowsIae("long vim4j_f(int32_t a);");
        assertThrowsIae("#define VIM4J_NAME \"text\"\n");
        assertThrowsIae("int32_t vim4j_f(int32_t (*cb)(void));");
        assertThrowsIae("struct s { int32_t x[4]; };");
        assertThrowsIae("union u { int32_t x; float y; };");
        assertThrowsIae("typedef struct s { int32_t x; } s_t;");
        assertThrowsIae("struct s { int32_t x; };\nint32_t vim4j_f(struct s v);");
        assertThrowsIae("int32_t vim4j_f(const struct undefined* v);");
        assertThrowsIae("struct s { struct t inner; };");
        HeaderPrototypes st = HeaderPrototypes.parse("struct a { int64_t x; float* p; };\n"
                + "struct b { struct a inner; int32_t n; };\nint32_t vim4j_k(const struct b* v, int32_t n);");
        assertEquals(List.of("a", "b"), new ArrayList<>(st.structs().keySet()));
        assertEquals("a", st.structs().get("b").fields().get(0).type().struct());
        assertTrue(st.functions().get("vim4j_k").params().get(0).type().pointer());
        assertEquals(24, structLayout(st, "b").byteSize()); // a: 16 bytes; n at 16; padded to 8-byte alignment
        assertThrowsIae("struct s { int32_t x : 3; };");                                  // bit field
        assertThrowsIae("struct s { int32_t x; };\nstruct s vim4j_f(void);");             // returned by value
        assertThrowsIae("struct o;\nstruct s { struct o inner; };");                      // opaque by value
        HeaderPrototypes opaque = HeaderPrototypes.parse("struct rt;\nstruct rt* vim4j_new(int32_t n);\n"
                + "void vim4j_free(struct rt* r);");
        assertEquals(java.util.Set.of("rt"), opaque.opaqueStructs());
        assertTrue(opaque.functions().get("vim4j_new").returnType().pointer());
        assertEquals("rt", opaque.functions().get("vim4j_free").params().get(0).type().struct());
        HeaderPrototypes p = HeaderPrototypes.parse("/* c */ #define VIM4J_X 7\nconst char* vim4j_g(void);\n"
                + "int64_t vim4j_h2(const float* a, int64_t n);");
        assertEquals(Map.of("VIM4J_X", 7L), p.constants());
        assertEquals(List.of("vim4j_g", "vim4j_h2"), new ArrayList<>(p.functions().keySet()));
        assertEquals(2, p.functions().get("vim4j_h2").params().size());
        assertTrue(p.functions().get("vim4j_g").returnType().pointer());
    }

    /**
     * (c) With a built library (from {@code -Dvim4j.native.dir} or the native module's build output): load it
     * the way vim4j's loaders do (System.load, so the bindings' loader lookup sees it), then every symbol
     * resolves, every descriptor has the header's layouts and the library's ABI version is the bindings'.
     * Loading libvim4j_cuda.so and calling its ABI-version function needs no GPU or driver.
     */
    @ParameterizedTest
    @MethodSource("abis")
    @SuppressWarnings("restricted")
    void withTheLibraryEverySymbolResolvesAndDescriptorsMatch(Abi abi) throws Exception {
        Path lib = library(abi);
        assumeTrue(lib != null, "no built " + abi.library() + ": set -Dvim4j.native.dir=DIR or build the native module first "
                + "(looked in " + candidates(abi) + ")" + (abi == CUDA ? "; it is built only where CMake finds nvcc" : ""));
        System.load(lib.toString());
        assertEquals(((Number) invoke(abi, abi.abiConstant())).intValue(), ((Number) invoke(abi, abi.abiFunction())).intValue(),
                "ABI version of " + lib);
        for (HeaderPrototypes.Function f : prototypes(abi).functions().values()) {
            MemorySegment addr = (MemorySegment) invoke(abi, f.name() + "$address");
            assertNotNull(addr);
            assertFalse(addr.equals(MemorySegment.NULL), f.name() + " resolved to NULL");
            FunctionDescriptor desc = (FunctionDescriptor) invoke(abi, f.name() + "$descriptor");
            assertEquals(expected(f), desc, abi.regenerate() + " (descriptor of " + f.name() + ")");
            MethodHandle mh = (MethodHandle) invoke(abi, f.name() + "$handle");
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
            case "int8_t" -> vim4j_h.C_CHAR; // jextract maps signed char (int8_t) to C_CHAR
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
            case "int8_t" -> byte.class;
            case "int32_t" -> int.class;
            case "int64_t" -> long.class;
            case "float" -> float.class;
            case "double" -> double.class;
            case "char" -> byte.class;
            default -> throw new IllegalArgumentException("no carrier for " + t);
        };
    }

    private static Method publicStatic(Abi abi, String name, Class<?>... params) {
        try {
            Method m = abi.bindings().getMethod(name, params);
            assertTrue(Modifier.isStatic(m.getModifiers()), name + " is not static");
            return m;
        } catch (NoSuchMethodException e) {
            return fail(abi.regenerate() + " (no binding " + name + List.of(params).stream().map(Class::getSimpleName).toList() + ")");
        }
    }

    private static Object invoke(Abi abi, String name) {
        try {
            return abi.bindings().getMethod(name).invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(name + ": " + e.getCause(), e);
        }
    }

    private static List<Path> candidates(Abi abi) {
        List<Path> c = new ArrayList<>();
        String dir = System.getProperty("vim4j.native.dir");
        if (dir != null && !dir.isBlank()) {
            c.add(Path.of(dir, abi.library()));
        }
        c.add(root().resolve("native/target/classes/org/vim4j/native/linux-x86_64/" + abi.library()));
        return c;
    }

    private static Path library(Abi abi) {
        return candidates(abi).stream().filter(Files::isRegularFile).findFirst().orElse(null);
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
