package org.vim4j.io.safetensors;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import org.vim4j.VimException;
import org.vim4j.io.MappedFiles;
import org.vim4j.io.Shapes;
import org.vim4j.io.StateDict;
import org.vim4j.io.StrictUtf8;
import org.vim4j.io.json.Json;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * Reads a {@code .safetensors} file: an 8-byte little-endian header length N, N bytes of JSON
 * header, then the data section. The file is memory-mapped and every tensor is a zero-copy slice
 * of the mapping, owned by the returned {@link StateDict}'s arena.
 *
 * <p>The header is untrusted and fully validated before any tensor is made: N below 100 MB and
 * within the file, strict JSON, no duplicate names, known dtypes
 * ({@code F32 F16 BF16 F64 I64 I32 I16 I8 U8 BOOL}), non-negative shapes, {@code data_offsets}
 * {@code [begin, end]} with {@code begin <= end} inside the data section and
 * {@code end - begin == numel * dtype size}, and no two tensors overlapping. A string-to-string
 * {@code __metadata__} object becomes the StateDict's metadata. Tensors keep header order.
 */
public final class SafetensorsReader {
    /** The reference implementation's limit on header size. */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    static final String METADATA_KEY = "__metadata__";

    private SafetensorsReader() {
    }

    /**
     * @throws VimException if the file is missing or any part of its header is invalid
     */
    public static StateDict read(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file = MappedFiles.map(path, arena);
            return parse(path.toString(), path, file, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads safetensors bytes that are not a file (a resource inside a jar): copied once into off-heap memory owned by
     * the returned StateDict, with no temporary file. Its {@link StateDict#source()} is null; {@code name} appears in
     * error messages.
     *
     * @throws VimException if the bytes cannot be read or any part of the header is invalid
     */
    public static StateDict read(String name, InputStream in) {
        byte[] bytes;
        try (in) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new VimException(name + ": cannot be read: " + e.getMessage(), e);
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment data = arena.allocate(Math.max(bytes.length, 1), 64);
            MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
            return parse(name, null, data.asSlice(0, bytes.length), arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private record Span(String name, long begin, long end) {
    }

    private static StateDict parse(String path, Path origin, MemorySegment file, Arena arena) {
        long size = file.byteSize();
        if (size < 8) {
            throw new VimException(path + ": not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
        }
        long n = file.get(MappedFiles.I64, 0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new VimException(path + ": safetensors header length " + Long.toUnsignedString(n) + " exceeds the "
                    + MAX_HEADER_BYTES + "-byte limit");
        }
        if (n > size - 8) {
            throw new VimException(path + ": safetensors header length " + n + " runs past the end of the " + size
                    + "-byte file");
        }
        String source = path + " (safetensors header)";
        String text = StrictUtf8.decode(file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE), source + ": header");
        if (!(Json.parse(text, source) instanceof Map<?, ?> header)) {
            throw new VimException(source + ": header is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new HashMap<>();
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        List<Span> spans = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                readMetadata(source, e.getValue(), metadata);
                continue;
            }
            String what = source + ": tensor '" + abbreviate(name) + "'";
            if (!(e.getValue() instanceof Map<?, ?> info)) {
                throw new VimException(what + ": expected an object with dtype, shape, data_offsets");
            }
            DType dtype = dtype(what, info.get("dtype"));
            long[] shape = shape(what, info.get("shape"));
            if (!(info.get("data_offsets") instanceof List<?> offs) || offs.size() != 2
                    || !(offs.get(0) instanceof Long begin) || !(offs.get(1) instanceof Long end)) {
                throw new VimException(what + ": data_offsets must be [begin, end] integers, got " + brief(info.get("data_offsets")));
            }
            if (begin < 0 || begin > end) {
                throw new VimException(what + ": data_offsets [" + begin + ", " + end + "] must satisfy 0 <= begin <= end");
            }
            if (end > dataSize) {
                throw new VimException(what + ": data_offsets [" + begin + ", " + end + "] run past the data section of "
                        + dataSize + " bytes");
            }
            long expected;
            try {
                expected = Math.multiplyExact(Tensor.numel(shape), dtype.byteSize());
            } catch (ArithmeticException ex) {
                throw new VimException(what + ": shape " + Arrays.toString(shape) + " overflows");
            }
            if (end - begin != expected) {
                throw new VimException(what + ": shape " + Arrays.toString(shape) + " " + dtype + " needs " + expected
                        + " bytes, data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
            }
            spans.add(new Span(name, begin, end));
            tensors.put(name, Tensor.wrap(name, dtype, file.asSlice(dataStart + begin, end - begin), shape));
        }
        checkOverlaps(source, spans);
        return new StateDict(origin, arena, tensors, metadata);
    }

    private static void readMetadata(String source, Object value, Map<String, String> metadata) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new VimException(source + ": __metadata__ must be an object of strings");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String v)) {
                throw new VimException(source + ": __metadata__ value of '" + abbreviate((String) e.getKey()) + "' is not a string");
            }
            metadata.put((String) e.getKey(), v);
        }
    }

    private static DType dtype(String what, Object v) {
        if (v instanceof String s) {
            for (DType d : DType.values()) {
                if (d.name().equals(s)) {
                    return d;
                }
            }
        }
        throw new VimException(what + ": unsupported dtype " + (v instanceof String s ? "'" + abbreviate(s) + "'" : brief(v))
                + " (expected one of " + Arrays.toString(DType.values()) + ")");
    }

    private static long[] shape(String what, Object v) {
        if (!(v instanceof List<?> list) || list.size() > Shapes.MAX_RANK) {
            throw new VimException(what + ": shape must be a list of at most " + Shapes.MAX_RANK + " integers, got " + brief(v));
        }
        long[] shape = new long[list.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(list.get(i) instanceof Long d) || d < 0) {
                throw new VimException(what + ": shape " + brief(list) + " must hold non-negative integers");
            }
            shape[i] = d;
        }
        return shape;
    }

    /** A name read from the header, cut for a message. */
    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** A header value as a message shows it: never more than about 80 characters, never walked deeply. */
    static String brief(Object v) {
        String s = switch (v) {
            case null -> "null";
            case String str -> Json.quote(abbreviate(str));
            case List<?> l -> l.size() <= 8 && l.stream().allMatch(x -> x instanceof Long || x instanceof Double)
                    ? l.toString() : "a list of " + l.size();
            case Map<?, ?> m -> "an object of " + m.size() + " members";
            default -> String.valueOf(v);
        };
        return abbreviate(s);
    }

    private static void checkOverlaps(String source, List<Span> spans) {
        List<Span> sorted = new ArrayList<>(spans);
        sorted.removeIf(s -> s.begin() == s.end()); // empty tensors occupy no bytes
        sorted.sort(Comparator.comparingLong(Span::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Span a = sorted.get(i - 1);
            Span b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw new VimException(source + ": tensors '" + abbreviate(a.name()) + "' [" + a.begin() + ", " + a.end() + ") and '"
                        + abbreviate(b.name()) + "' [" + b.begin() + ", " + b.end() + ") overlap");
            }
        }
    }
}
