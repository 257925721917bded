package org.vim4j.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
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
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeps the committed bindings in step with their C headers without needing jextract, for each ABI
 * ({@code native/include/vim4j.h} -> {@link vim4j_h}, {@code native/include/vim4j_cuda.h} -> {@link vim4j_cuda_h}):
 * the header's hash, every prototype against the generated functions, every constant, every struct against its
 * generated class (field names, order, types, offsets, size and alignment of the C layout on LP64; a test mutates
 * the header to show each kind of drift is caught); and, when a built library ({@code libvim4j.so},
 * {@code libvim4j_cuda.so}) is at hand, every symbol and the ABI version.
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
        // The banner postprocess stamped into the generated sources carries the same hash.
        for (String file : List.of(abi.bindings().getSimpleName() + ".java", abi.bindings().getSimpleName() + "$shared.java")) {
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

    // -------------------------------------------------------------------------------------------------------------
    // Structs: one generated class per struct of the header, with the header's C layout.

    /** The struct classes generated from {@code abi}'s header: the package's other classes whose banner names it. */
    private static TreeSet<String> structClasses(Abi abi) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        Path dir = root().resolve("bindings/src/main/java/org/vim4j/bindings");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString().replaceFirst("\\.java$", "");
                if (name.startsWith(abi.bindings().getSimpleName()) || name.equals(vim4j_h.class.getSimpleName() + "$shared")
                        || name.startsWith(vim4j_cuda_h.class.getSimpleName())) {
                    continue;
                }
                if (Files.isRegularFile(f) && Files.readString(f).contains("from " + abi.header() + " sha256=")) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    @ParameterizedTest
    @MethodSource("abis")
    void everyStructHasItsClassAndNothingElse(Abi abi) throws IOException {
        assertEquals(new TreeSet<>(prototypes(abi).structs().keySet()), structClasses(abi),
                abi.regenerate() + " (struct classes differ)");
    }

    @ParameterizedTest
    @MethodSource("abis")
    void everyStructLayoutMatchesTheHeader(Abi abi) throws IOException {
        HeaderPrototypes h = prototypes(abi);
        List<String> problems = new ArrayList<>();
        for (String name : h.structs().keySet()) {
            problems.addAll(structDrift(h, name));
        }
        assertEquals(List.of(), problems, abi.regenerate() + " (struct layouts differ)");
    }

    /** The generated struct classes write their fields where C reads them: set through the accessors, read raw. */
    @Test
    void structAccessorsWriteTheCLayout() {
        try (Arena arena = Arena.ofConfined()) {
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
            assertEquals(256, vim4j_mixer_weights.sizeof());
        }
    }

    /**
     * The drift check fails on every kind of drift: a header whose struct differs from the generated class (fields
     * swapped, a type changed, a field added, renamed or removed, padding introduced) yields problems.
     */
    @Test
    void structDriftIsDetected() throws IOException {
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
        for (String[] m : mutations) {
            assertTrue(header.contains(m[1]), "mutation anchor not in the header: " + m[1]);
            HeaderPrototypes mutated = HeaderPrototypes.parse(header.replace(m[1], m[2]));
            assertFalse(structDrift(mutated, m[0]).isEmpty(), "drift not detected: struct " + m[0] + " with " + m[2]);
        }
        assertEquals(List.of(), structDrift(HeaderPrototypes.parse(header), "vim4j_linear_weight"));
    }

    /**
     * Every difference between struct {@code name} of the header and its generated class: the class exists, its
     * layout is a struct layout of that name whose non-padding members are the header's fields in order, each with
     * the layout jextract gives its C type, at the C offset (also from {@code f$offset()}), with getter and setter;
     * size and alignment are C's.
     */
    static List<String> structDrift(HeaderPrototypes h, String name) {
        List<String> problems = new ArrayList<>();
        HeaderPrototypes.StructLayout c = h.layout(name);
        Class<?> cls;
        try {
            cls = Class.forName(vim4j_h.class.getPackageName() + "." + name);
        } catch (ClassNotFoundException e) {
            return List.of("struct " + name + ": no class " + name);
        }
        GroupLayout layout = (GroupLayout) invoke(cls, "layout");
        if (!(layout instanceof StructLayout)) {
            problems.add("struct " + name + ": layout() is not a struct layout");
        }
        if (!layout.name().equals(java.util.Optional.of(name))) {
            problems.add("struct " + name + ": layout named " + layout.name());
        }
        List<MemoryLayout> members = layout.memberLayouts().stream().filter(l -> !(l instanceof PaddingLayout)).toList();
        List<String> javaNames = members.stream().map(l -> l.name().orElse("?")).toList();
        List<String> cNames = c.fields().stream().map(f -> f.field().name()).toList();
        if (!javaNames.equals(cNames)) {
            problems.add("struct " + name + ": fields " + javaNames + " in the class, " + cNames + " in the header");
            return problems;
        }
        for (int i = 0; i < members.size(); i++) {
            HeaderPrototypes.FieldLayout f = c.fields().get(i);
            String fn = f.field().name(), what = "struct " + name + " field " + fn;
            MemoryLayout member = members.get(i);
            long offset = layout.byteOffset(MemoryLayout.PathElement.groupElement(fn));
            if (offset != f.offset()) {
                problems.add(what + ": at byte " + offset + " in the class, " + f.offset() + " in C");
            }
            Object declared = invoke(cls, fn + "$offset");
            if (!Long.valueOf(f.offset()).equals(declared)) {
                problems.add(what + ": " + fn + "$offset() = " + declared + ", " + f.offset() + " in C");
            }
            if (member.byteSize() != f.size()) {
                problems.add(what + ": " + member.byteSize() + " bytes in the class, " + f.size() + " in C");
            }
            MemoryLayout expected = fieldLayout(f.field().type());
            if (expected == null || !member.withoutName().equals(expected.withoutName())) {
                problems.add(what + ": layout " + member + " in the class, C type " + f.field().type());
            }
            if (!member.equals(invoke(cls, fn + "$layout"))) {
                problems.add(what + ": " + fn + "$layout() is not its member layout");
            }
            Class<?> carrier = f.field().type().struct() != null && !f.field().type().pointer() ? MemorySegment.class
                    : carrier(f.field().type());
            try {
                if (cls.getMethod(fn, MemorySegment.class).getReturnType() != carrier) {
                    problems.add(what + ": getter does not return " + carrier.getSimpleName());
                }
                cls.getMethod(fn, MemorySegment.class, carrier);
            } catch (NoSuchMethodException e) {
                problems.add(what + ": no getter/setter for " + carrier.getSimpleName());
            }
        }
        if (layout.byteSize() != c.size()) {
            problems.add("struct " + name + ": " + layout.byteSize() + " bytes in the class, " + c.size() + " in C");
        }
        if (!Long.valueOf(c.size()).equals(invoke(cls, "sizeof"))) {
            problems.add("struct " + name + ": sizeof() = " + invoke(cls, "sizeof") + ", " + c.size() + " in C");
        }
        if (layout.byteAlignment() != c.alignment()) {
            problems.add("struct " + name + ": aligned to " + layout.byteAlignment() + " in the class, " + c.alignment()
                    + " in C");
        }
        return problems;
    }

    /** The layout jextract gives a field of C type {@code t} (null when it names no generated struct class). */
    static MemoryLayout fieldLayout(HeaderPrototypes.CType t) {
        if (t.struct() != null && !t.pointer()) {
            try {
                return (MemoryLayout) invoke(Class.forName(vim4j_h.class.getPackageName() + "." + t.struct()), "layout");
            } catch (ClassNotFoundException e) {
                return null;
            }
        }
        return t.pointer() ? vim4j_h.C_POINTER : switch (t.base()) {
            case "int64_t" -> vim4j_h.C_LONG; // jextract's int64_t on LP64 Linux
            default -> layout(t);
        };
    }

    private static Object invoke(Class<?> cls, String name) {
        try {
            return cls.getMethod(name).invoke(null);
        } catch (ReflectiveOperationException e) {
            return "(no " + name + "(): " + e + ")";
        }
    }

    @Test
    void theParserRejectsWhatTheBindingsCannotExpress() {
        assertThrowsIae("struct s { int x; };");
        assertThrowsIae("long vim4j_f(int32_t a);");
        assertThrowsIae("#define VIM4J_NAME \"text\"\n");
        assertThrowsIae("int32_t vim4j_f(int32_t (*cb)(void));");
        assertThrowsIae("struct s { int32_t x; };\nint32_t vim4j_f(struct s v);");        // struct by value
        assertThrowsIae("struct s { int32_t x; };\nstruct s vim4j_f(void);");             // returned by value
        assertThrowsIae("struct s { float x[4]; };");                                     // array field
        assertThrowsIae("struct s { int32_t x : 3; };");                                  // bit field
        assertThrowsIae("struct s { struct t inner; };\nstruct t { int32_t x; };");       // used before definition
        assertThrowsIae("int32_t vim4j_f(const struct unknown* p);");                     // undeclared struct
        assertThrowsIae("typedef struct s { int32_t x; } s_t;");
        assertThrowsIae("union u { int32_t x; float y; };");
        HeaderPrototypes s = HeaderPrototypes.parse("struct opaque;\nstruct p { char c; int64_t x; int32_t y; };\n"
                + "struct q { int32_t a; struct p inner; const float* f; };\n"
                + "int32_t vim4j_g(struct opaque* o, const struct q* q, int32_t n);");
        assertEquals(java.util.Set.of("opaque"), s.opaqueStructs());
        assertEquals(List.of(0L, 8L, 16L), s.layout("p").fields().stream().map(HeaderPrototypes.FieldLayout::offset).toList());
        assertEquals(24, s.layout("p").size());
        assertEquals(List.of(0L, 8L, 32L), s.layout("q").fields().stream().map(HeaderPrototypes.FieldLayout::offset).toList());
        assertEquals(40, s.layout("q").size());
        assertEquals(3, s.functions().get("vim4j_g").params().size());
        assertTrue(s.functions().get("vim4j_g").params().get(1).type().pointer());
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
