package org.vim4j.bindings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parser for the restricted grammar of the C ABI headers ({@code native/include/vim4j.h}, {@code vim4j_cuda.h}):
 * integer {@code #define}s, struct definitions ({@code struct name { fields };}, no typedefs) and function prototypes
 * over {@code void}, {@code int32_t}, {@code int64_t}, {@code float}, {@code double}, {@code char}, {@code const} and
 * single pointers. A struct field is a value of those types, a single pointer, or a struct defined above it (by value
 * or pointer); a parameter may point to such a struct but not take one by value. Anything else in the header fails
 * loudly, so the drift test cannot pass by silently skipping a declaration it does not understand.
 */
record HeaderPrototypes(Map<String, Long> constants, Map<String, Function> functions, Map<String, Struct> structs) {

    static final Set<String> BASE_TYPES = Set.of("void", "int32_t", "int64_t", "float", "double", "char");

    /**
     * A C type of the grammar: a base type ({@code "struct name"} for a struct), maybe behind one pointer
     * ({@code const} is dropped).
     */
    record CType(String base, boolean pointer) {
        boolean isVoid() {
            return base.equals("void") && !pointer;
        }

        /** The struct's name if this is a struct by value or pointer, else null. */
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

    private static final Pattern DEFINE = Pattern.compile("#\\s*define\\s+(\\w+)(?:\\s+(.*))?");
    private static final Pattern PROTOTYPE = Pattern.compile("(const\\s+)?(\\w+)\\s*(\\*)?\\s*(\\w+)\\s*\\((.*)\\)", Pattern.DOTALL);
    private static final Pattern PARAM = Pattern.compile("(const\\s+)?((?:struct\\s+)?\\w+)\\s*(\\*)?\\s*(\\w+)");
    private static final Pattern STRUCT = Pattern.compile("struct\\s+(\\w+)\\s*\\{([^{}]*)\\}\\s*;");

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
                continue; // the __cplusplus wrapper
            }
            code.append(line).append('\n');
        }
        Map<String, Struct> structs = new LinkedHashMap<>();
        Matcher sm = STRUCT.matcher(code);
        StringBuilder rest = new StringBuilder();
        while (sm.find()) {
            String name = sm.group(1);
            List<Param> fields = new ArrayList<>();
            for (String decl : sm.group(2).split(";")) {
                String d = decl.strip().replaceAll("\\s+", " ");
                if (d.isEmpty()) {
                    continue;
                }
                Matcher fm = PARAM.matcher(d);
                if (!fm.matches()) {
                    throw new IllegalArgumentException("header: unsupported field '" + d + "' in struct " + name);
                }
                CType ft = type(fm.group(2), fm.group(3) != null, "struct " + name, structs);
                if (ft.isVoid()) {
                    throw new IllegalArgumentException("header: void field in struct " + name);
                }
                fields.add(new Param(ft, fm.group(4)));
            }
            if (fields.isEmpty() || structs.put(name, new Struct(name, List.copyOf(fields))) != null) {
                throw new IllegalArgumentException("header: struct " + name + " is empty or defined twice");
            }
            sm.appendReplacement(rest, " ");
        }
        sm.appendTail(rest);
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
            CType ret = type(m.group(2), m.group(3) != null, s, structs);
            List<Param> params = new ArrayList<>();
            String plist = m.group(5).strip();
            if (!plist.equals("void")) {
                for (String p : plist.split(",")) {
                    Matcher pm = PARAM.matcher(p.strip());
                    if (!pm.matches()) {
                        throw new IllegalArgumentException("vim4j.h: unsupported parameter '" + p.strip() + "' in " + s);
                    }
                    CType pt = type(pm.group(2), pm.group(3) != null, s, structs);
                    if (pt.isVoid()) {
                        throw new IllegalArgumentException("vim4j.h: void parameter in " + s);
                    }
                    if (pt.struct() != null && !pt.pointer()) {
                        throw new IllegalArgumentException("header: struct passed by value in " + s
                                + " (the bindings' grammar passes structs by pointer)");
                    }
                    params.add(new Param(pt, pm.group(4)));
                }
            }
            if (functions.put(m.group(4), new Function(m.group(4), ret, List.copyOf(params))) != null) {
                throw new IllegalArgumentException("vim4j.h: " + m.group(4) + " declared twice");
            }
        }
        return new HeaderPrototypes(constants, functions, structs);
    }

    private static CType type(String base, boolean pointer, String where, Map<String, Struct> structs) {
        if (base.startsWith("struct ")) {
            String name = base.substring("struct ".length()).strip();
            if (!structs.containsKey(name)) {
                throw new IllegalArgumentException("header: struct " + name + " is not defined above its use in " + where);
            }
            return new CType("struct " + name, pointer);
        }
        if (!BASE_TYPES.contains(base)) {
            throw new IllegalArgumentException("vim4j.h: type '" + base + "' is outside the bindings' grammar in " + where);
        }
        return new CType(base, pointer);
    }
}
