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
 * A parser for the restricted grammar of {@code native/include/vim4j.h}: integer {@code #define}s and function
 * prototypes over {@code void}, {@code int32_t}, {@code int64_t}, {@code float}, {@code double}, {@code char},
 * {@code const} and single pointers. Anything else in the header fails loudly, so the drift test cannot pass
 * by silently skipping a declaration it does not understand.
 */
record HeaderPrototypes(Map<String, Long> constants, Map<String, Function> functions) {

    static final Set<String> BASE_TYPES = Set.of("void", "int32_t", "int64_t", "float", "double", "char");

    /** A C type of the grammar: a base type, maybe behind one pointer ({@code const} is dropped). */
    record CType(String base, boolean pointer) {
        boolean isVoid() {
            return base.equals("void") && !pointer;
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

    private static final Pattern DEFINE = Pattern.compile("#\\s*define\\s+(\\w+)(?:\\s+(.*))?");
    private static final Pattern PROTOTYPE = Pattern.compile("(const\\s+)?(\\w+)\\s*(\\*)?\\s*(\\w+)\\s*\\((.*)\\)", Pattern.DOTALL);
    private static final Pattern PARAM = Pattern.compile("(const\\s+)?(\\w+)\\s*(\\*)?\\s*(\\w+)");

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
        Map<String, Function> functions = new LinkedHashMap<>();
        for (String stmt : code.toString().split(";")) {
            String s = stmt.strip().replaceAll("\\s+", " ");
            if (s.isEmpty()) {
                continue;
            }
            Matcher m = PROTOTYPE.matcher(s);
            if (!m.matches()) {
                throw new IllegalArgumentException("vim4j.h: not a prototype of the supported grammar: " + s);
            }
            CType ret = type(m.group(2), m.group(3) != null, s);
            List<Param> params = new ArrayList<>();
            String plist = m.group(5).strip();
            if (!plist.equals("void")) {
                for (String p : plist.split(",")) {
                    Matcher pm = PARAM.matcher(p.strip());
                    if (!pm.matches()) {
                        throw new IllegalArgumentException("vim4j.h: unsupported parameter '" + p.strip() + "' in " + s);
                    }
                    CType pt = type(pm.group(2), pm.group(3) != null, s);
                    if (pt.isVoid()) {
                        throw new IllegalArgumentException("vim4j.h: void parameter in " + s);
                    }
                    params.add(new Param(pt, pm.group(4)));
                }
            }
            if (functions.put(m.group(4), new Function(m.group(4), ret, List.copyOf(params))) != null) {
                throw new IllegalArgumentException("vim4j.h: " + m.group(4) + " declared twice");
            }
        }
        return new HeaderPrototypes(constants, functions);
    }

    private static CType type(String base, boolean pointer, String where) {
        if (!BASE_TYPES.contains(base)) {
            throw new IllegalArgumentException("vim4j.h: type '" + base + "' is outside the bindings' grammar in " + where);
        }
        return new CType(base, pointer);
    }
}
