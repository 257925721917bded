package org.vim4j.bindings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parser for the restricted grammar of the C ABI headers ({@code native/include/vim4j.h}, {@code vim4j_cuda.h}):
 * integer {@code #define}s, struct definitions ({@code struct name { fields };}, no typedefs), opaque struct
 * declarations ({@code struct name;}) and function prototypes over {@code void}, {@code int8_t}, {@code int32_t}, {@code int64_t},
 * {@code float}, {@code double}, {@code char}, {@code const} and single pointers. A struct field is a value of those
 * types, a single pointer, or a struct defined above it (by value or pointer); a parameter or return value may point
 * to a defined or opaque struct but never be one by value. Anything else in the header (arrays, bit fields, unions,
 * typedefs, callbacks) fails loudly, so the drift test cannot pass by silently skipping a declaration it does not
 * understand.
 */
record HeaderPrototypes(Map<String, Long> constants, Map<String, Function> functions, Map<String, Struct> structs,
        Set<String> opaqueStructs) {

    static final Set<String> BASE_TYPES = Set.of("void", "int8_t", "int32_t", "int64_t", "float", "double", "char");

    /** A C type of the grammar: a base type or {@code struct name}, maybe behind one pointer ({@code const} is dropped). */
    record CType(String base, boolean pointer) {
        boolean isVoid() {
            return base.equals("void") && !pointer;
        }

        /** The struct's name for {@code struct name} (by value or pointer), else null. */
        String struct() {
            return base.startsWith("struct ") ? base.substring("struct ".length()) : null;
        }

        @Override
        public String toString() {
            return base + (pointer ? "*" : "");
        }
    }

    record Param(CType type, String name) {
    }

    record Function(String name, CType returnType, List<Param> params) {
    }

    /** A struct definition: its fields in declaration order. */
    record Struct(String name, List<Param> fields) {
    }

    private static final String TYPE = "(const\\s+)?(struct\\s+\\w+|\\w+)\\s*(\\*)?\\s*";
    private static final Pattern DEFINE = Pattern.compile("#\\s*define\\s+(\\w+)(?:\\s+(.*))?");
    private static final Pattern PROTOTYPE = Pattern.compile(TYPE + "(\\w+)\\s*\\((.*)\\)", Pattern.DOTALL);
    private static final Pattern DECLARATION = Pattern.compile(TYPE + "(\\w+)");
    private static final Pattern STRUCT = Pattern.compile("struct\\s+(\\w+)\\s*(\\{([^{}]*)\\})?\\s*;");

    static HeaderPrototypes parse(Path header) throws IOException {
        return parse(Files.readString(header));
    }

    static HeaderPrototypes parse(String text) {
        String noComments = text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
        Map<String, Long> constants = new LinkedHashMap<>();
        StringBuilder code = new StringBuilder();
        for (String line : noComments.split("\\R")) {
            String t = line.strip();
            if (t.startsWith("#")) {
                Matcher d = DEFINE.matcher(t);
                if (d.matches() && d.group(2) != null && !d.group(2).isBlank()) {
                    String value = d.group(2).strip();
                    if (!value.matches("-?\\d+")) {
                        throw new IllegalArgumentException("vim4j.h: #define " + d.group(1) + " " + value
                                + " is not an integer constant (the bindings' grammar allows only those)");
                    }
                    constants.put(d.group(1), Long.parseLong(value));
                }
                continue; // include guards, #include, #ifdef __cplusplus ...
            }
            if (t.equals("extern \"C\" {") || t.equals("}")) {
                continue; // the __cplusplus wrapper (struct bodies close with "};")
            }
            code.append(line).append('\n');
        }
        // Struct definitions and opaque declarations, in order, then whatever remains must be prototypes.
        Map<String, Struct> structs = new LinkedHashMap<>();
        Set<String> opaque = new LinkedHashSet<>();
        Matcher sm = STRUCT.matcher(code);
        StringBuilder rest = new StringBuilder();
        int last = 0;
        while (sm.find()) {
            String before = code.substring(last, sm.start());
            if (before.contains("{") || before.contains("}")) {
                throw new IllegalArgumentException("vim4j.h: not a struct definition of the supported grammar near: "
                        + before.strip().replaceAll("\\s+", " "));
            }
            rest.append(before).append(' ');
            last = sm.end();
            String name = sm.group(1);
            if (structs.containsKey(name) || opaque.contains(name)) {
                throw new IllegalArgumentException("vim4j.h: struct " + name + " declared twice");
            }
            if (sm.group(2) == null) {
                opaque.add(name);
            } else {
                structs.put(name, new Struct(name, fields(name, sm.group(3), structs)));
            }
        }
        String tail = code.substring(last);
        if (tail.contains("{") || tail.contains("}")) {
            throw new IllegalArgumentException("vim4j.h: not a declaration of the supported grammar near: "
                    + tail.strip().replaceAll("\\s+", " "));
        }
        rest.append(tail);
        Map<String, Function> functions = new LinkedHashMap<>();
        for (String stmt : rest.toString().split(";")) {
            String s = stmt.strip().replaceAll("\\s+", " ");
            if (s.isEmpty()) {
                continue;
            }
            Matcher m = PROTOTYPE.matcher(s);
            if (!m.matches()) {
                throw new IllegalArgumentException("vim4j.h: not a prototype of the supported grammar: " + s);
            }
            CType ret = type(m.group(2), m.group(3) != null, s, structs, opaque);
            if (ret.struct() != null && !ret.pointer()) {
                throw new IllegalArgumentException("vim4j.h: a struct returned by value in " + s
                        + " (the bindings' grammar passes structs by pointer only)");
            }
            List<Param> params = new ArrayList<>();
            String plist = m.group(5).strip();
            if (!plist.equals("void")) {
                for (String p : plist.split(",")) {
                    Matcher pm = DECLARATION.matcher(p.strip());
                    if (!pm.matches()) {
                        throw new IllegalArgumentException("vim4j.h: unsupported parameter '" + p.strip() + "' in " + s);
                    }
                    CType pt = type(pm.group(2), pm.group(3) != null, s, structs, opaque);
                    if (pt.isVoid()) {
                        throw new IllegalArgumentException("vim4j.h: void parameter in " + s);
                    }
                    if (pt.struct() != null && !pt.pointer()) {
                        throw new IllegalArgumentException("vim4j.h: struct parameter '" + p.strip() + "' by value in " + s
                                + " (the bindings' grammar passes structs by pointer only)");
                    }
                    params.add(new Param(pt, pm.group(4)));
                }
            }
            if (functions.put(m.group(4), new Function(m.group(4), ret, List.copyOf(params))) != null) {
                throw new IllegalArgumentException("vim4j.h: " + m.group(4) + " declared twice");
            }
        }
        return new HeaderPrototypes(constants, functions, structs, opaque);
    }

    private static List<Param> fields(String struct, String body, Map<String, Struct> defined) {
        List<Param> fields = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (String decl : body.split(";")) {
            String d = decl.strip().replaceAll("\\s+", " ");
            if (d.isEmpty()) {
                continue;
            }
            Matcher fm = DECLARATION.matcher(d);
            if (!fm.matches()) {
                throw new IllegalArgumentException("vim4j.h: unsupported field '" + d + "' in struct " + struct
                        + " (no arrays, bit fields, function pointers or several names per declaration)");
            }
            CType t = type(fm.group(2), fm.group(3) != null, "struct " + struct, defined, Set.of());
            if (t.isVoid()) {
                throw new IllegalArgumentException("vim4j.h: void field in struct " + struct);
            }
            if (t.struct() != null && !t.pointer() && !defined.containsKey(t.struct())) {
                throw new IllegalArgumentException("vim4j.h: struct " + struct + " holds struct " + t.struct()
                        + " by value before its definition");
            }
            if (!names.add(fm.group(4))) {
                throw new IllegalArgumentException("vim4j.h: field " + fm.group(4) + " twice in struct " + struct);
            }
            fields.add(new Param(t, fm.group(4)));
        }
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("vim4j.h: struct " + struct + " has no fields");
        }
        return List.copyOf(fields);
    }

    private static CType type(String base, boolean pointer, String where, Map<String, Struct> structs, Set<String> opaque) {
        String b = base.replaceAll("\\s+", " ");
        if (b.startsWith("struct ")) {
            String name = b.substring("struct ".length());
            if (!structs.containsKey(name) && !opaque.contains(name) && !pointer) {
                throw new IllegalArgumentException("vim4j.h: unknown struct '" + name + "' in " + where);
            }
            if (!structs.containsKey(name) && !opaque.contains(name)) {
                throw new IllegalArgumentException("vim4j.h: pointer to undeclared struct '" + name + "' in " + where);
            }
            return new CType(b, pointer);
        }
        if (!BASE_TYPES.contains(b)) {
            throw new IllegalArgumentException("vim4j.h: type '" + b + "' is outside the bindings' grammar in " + where);
        }
        return new CType(b, pointer);
    }
}
