package org.vim4j.io.npy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.vim4j.VimException;
import org.vim4j.io.AtomicFiles;
import org.vim4j.io.MappedFiles;
import org.vim4j.io.Shapes;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * NumPy {@code .npy} files of float32 arrays: the format golden inputs and outputs are exchanged in.
 *
 * <p>Reading accepts format versions 1.0, 2.0 and 3.0 and exactly one kind of array:
 * little-endian float32 ({@code '<f4'}) in C order. Anything else is refused with a message
 * that says what the file holds (e.g. {@code '<f8'}, Fortran order, big-endian). Writing produces
 * version 1.0 (2.0 only if the header needs it), {@code '<f4'}, C order, with the header padded
 * to 64 bytes as NumPy does, so {@code numpy.load} reads the result.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Header length bound; NumPy itself refuses headers over 10,000 bytes by default. */
    static final int MAX_HEADER_BYTES = 1 << 16;
    private static final int ALIGN = 64;
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

    private Npy() {
    }

    /** Reads a float32 array into a tensor named after the file (without {@code .npy}), allocated in {@code arena}. */
    public static Tensor read(Path path, Arena arena) {
        String file = path.getFileName().toString();
        return read(path, file.endsWith(".npy") ? file.substring(0, file.length() - 4) : file, arena);
    }

    /**
     * Reads a float32 array into a new tensor owned by {@code arena}.
     *
     * @throws VimException if the file is missing, not .npy, not '&lt;f4' C-order, or its data size disagrees with its shape
     */
    public static Tensor read(Path path, String name, Arena arena) {
        MappedFiles.requireRegularFile(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer pre = readAt(ch, 0, (int) Math.min(12, size));
            byte[] head = new byte[pre.remaining()];
            pre.get(0, head);
            if (head.length < 10 || !Arrays.equals(head, 0, 6, MAGIC, 0, 6)) {
                throw new VimException(path + ": not a .npy file (expected magic \\x93NUMPY, file starts with "
                        + MappedFiles.hex(head) + ")");
            }
            int major = head[6] & 0xff;
            int minor = head[7] & 0xff;
            long headerLen;
            int headerStart;
            if (major == 1) {
                headerLen = pre.order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xffff;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                if (head.length < 12) {
                    throw new VimException(path + ": truncated .npy header");
                }
                headerLen = pre.order(ByteOrder.LITTLE_ENDIAN).getInt(8) & 0xffffffffL;
                headerStart = 12;
            } else {
                throw new VimException(path + ": unsupported .npy format version " + major + "." + minor);
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw new VimException(path + ": .npy header of " + headerLen + " bytes exceeds " + MAX_HEADER_BYTES);
            }
            if (headerStart + headerLen > size) {
                throw new VimException(path + ": .npy header of " + headerLen + " bytes runs past the end of the "
                        + size + "-byte file");
            }
            ByteBuffer hb = readAt(ch, headerStart, (int) headerLen);
            byte[] hbytes = new byte[hb.remaining()];
            hb.get(0, hbytes);
            String header = new String(hbytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            long[] shape = checkHeader(path, header);

            long dataStart = headerStart + headerLen;
            long expected;
            try {
                expected = Math.multiplyExact(Tensor.numel(shape), 4L);
            } catch (ArithmeticException e) {
                throw new VimException(path + ": shape " + Arrays.toString(shape) + " overflows");
            }
            if (size - dataStart != expected) {
                throw new VimException(path + ": shape " + Arrays.toString(shape) + " float32 needs " + expected
                        + " bytes of data, the file has " + (size - dataStart));
            }
            Tensor t = Tensor.allocate(arena, name, shape);
            readInto(ch, dataStart, t.data());
            return t;
        } catch (IOException e) {
            throw new VimException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Validates the header dict and returns the shape. */
    private static long[] checkHeader(Path path, String header) {
        Object parsed = new Literal(header, path).parseAll();
        if (!(parsed instanceof Map<?, ?> d) || !d.keySet().equals(KEYS)) {
            throw new VimException(path + ": .npy header must be a dict with keys 'descr', 'fortran_order', 'shape': "
                    + abbreviate(header));
        }
        Object descr = d.get("descr");
        if (!"<f4".equals(descr)) {
            String why = ">f4".equals(descr) ? "big-endian float32 is not supported (save with dtype '<f4')"
                    : "only little-endian float32 '<f4' is supported";
            throw new VimException(path + ": .npy dtype " + (descr instanceof String s ? "'" + s + "'" : "" + descr)
                    + ": " + why);
        }
        if (!Boolean.FALSE.equals(d.get("fortran_order"))) {
            throw new VimException(path + ": .npy array is in Fortran order (fortran_order: " + d.get("fortran_order")
                    + "); vim4j reads C order (save np.ascontiguousarray(a))");
        }
        if (!(d.get("shape") instanceof List<?> dims) || dims.size() > Shapes.MAX_RANK) {
            throw new VimException(path + ": .npy shape must be a tuple of integers");
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long v) || v < 0) {
                throw new VimException(path + ": .npy shape " + dims + " must hold non-negative integers");
            }
            shape[i] = v;
        }
        return shape;
    }

    /** Writes {@code data} with {@code shape} (C order) as a float32 .npy file. */
    public static void write(Path path, float[] data, long... shape) {
        long n = Tensor.numel(shape);
        if (n != data.length) {
            throw new VimException(path + ": " + data.length + " values do not fill shape " + Arrays.toString(shape));
        }
        write(path, MemorySegment.ofArray(data), shape);
    }

    /** Writes a floating-point tensor as float32 .npy (other float dtypes are converted to fp32). */
    public static void write(Path path, Tensor tensor) {
        if (tensor.dtype() == DType.F32) {
            write(path, tensor.data(), tensor.shape());
        } else if (tensor.dtype().isFloatingPoint()) {
            write(path, MemorySegment.ofArray(tensor.toFloatArray()), tensor.shape());
        } else {
            throw new VimException(path + ": tensor '" + tensor.name() + "' has dtype " + tensor.dtype()
                    + "; .npy output is float32 only");
        }
    }

    private static void write(Path path, MemorySegment f32, long[] shape) {
        byte[] header = header(shape);
        AtomicFiles.write(path, ch -> {
            AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
            if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                AtomicFiles.writeSegment(ch, f32);
            } else {
                throw new IOException("writing .npy needs a little-endian CPU");
            }
        });
    }

    /** Receives float32 values in C order, as many at a time as the producer has. */
    public interface Sink {
        void write(float[] values, int offset, int count) throws IOException;
    }

    /** Produces an array's values into a {@link Sink}, a part at a time. */
    @FunctionalInterface
    public interface Producer {
        void produce(Sink sink) throws IOException;
    }

    /**
     * Writes a float32 .npy of {@code shape} whose values {@code producer} streams in C order, so an array of any
     * size is written holding only what the producer holds (e.g. one image's features). The values must fill the
     * shape exactly; otherwise nothing is left under {@code path}.
     */
    public static void write(Path path, long[] shape, Producer producer) {
        long n = Tensor.numel(shape);
        byte[] header = header(shape);
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new VimException(path + ": writing .npy needs a little-endian CPU");
        }
        AtomicFiles.write(path, ch -> {
            AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
            ByteBuffer staging = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            long[] written = {0};
            producer.produce((values, offset, count) -> {
                java.util.Objects.checkFromIndexSize(offset, count, values.length);
                if (count > n - written[0]) {
                    throw new VimException(path + ": more than the " + n + " values of shape " + Arrays.toString(shape));
                }
                for (int i = 0; i < count; ) {
                    int k = Math.min(count - i, staging.remaining() / 4);
                    staging.asFloatBuffer().put(values, offset + i, k);
                    staging.position(staging.position() + 4 * k);
                    i += k;
                    if (!staging.hasRemaining()) {
                        AtomicFiles.writeFully(ch, staging.flip());
                        staging.clear();
                    }
                }
                written[0] += count;
            });
            AtomicFiles.writeFully(ch, staging.flip());
            if (written[0] != n) {
                throw new VimException(path + ": " + written[0] + " values do not fill shape " + Arrays.toString(shape));
            }
        });
    }

    /** Magic, version, header length and the dict, padded with spaces and a newline to a multiple of 64 bytes. */
    static byte[] header(long[] shape) {
        StringBuilder dims = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            dims.append(i > 0 ? ", " : "").append(shape[i]);
        }
        dims.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + dims + ", }";
        int prefix = 10;
        int total = (prefix + dict.length() + 1 + ALIGN - 1) / ALIGN * ALIGN;
        int major = 1;
        if (total - prefix > 0xffff) {
            prefix = 12;
            total = (prefix + dict.length() + 1 + ALIGN - 1) / ALIGN * ALIGN;
            major = 2;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) (total - prefix));
        } else {
            b.putInt(total - prefix);
        }
        b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
        while (b.position() < total - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    private static String abbreviate(String header) {
        String h = header.strip();
        return h.length() <= 200 ? h : h.substring(0, 197) + "...";
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        return buf.flip();
    }

    private static void readInto(FileChannel ch, long position, MemorySegment dst) throws IOException {
        long chunk = 1L << 30;
        for (long off = 0; off < dst.byteSize(); off += chunk) {
            ByteBuffer buf = dst.asSlice(off, Math.min(chunk, dst.byteSize() - off)).asByteBuffer();
            while (buf.hasRemaining()) {
                if (ch.read(buf, position + off + buf.position()) < 0) {
                    throw new IOException("unexpected end of file");
                }
            }
        }
    }

    /**
     * The Python literal subset a .npy header uses: dicts, tuples, lists, quoted strings, ints,
     * True/False/None. Tuples and lists both become {@link List}. Nesting is bounded.
     */
    private static final class Literal {
        private static final int MAX_DEPTH = 16;
        private final String s;
        private final Path path;
        private int pos;

        Literal(String s, Path path) {
            this.s = s;
            this.path = path;
        }

        Object parseAll() {
            Object v = value(0);
            skip();
            if (pos != s.length()) {
                throw error("unexpected text after the header dict");
            }
            return v;
        }

        private Object value(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nesting too deep");
            }
            skip();
            if (pos >= s.length()) {
                throw error("unexpected end of header");
            }
            char c = s.charAt(pos);
            if (c == '{') {
                pos++;
                Map<Object, Object> m = new LinkedHashMap<>();
                for (Object k : sequence('}', depth, true)) {
                    @SuppressWarnings("unchecked")
                    List<Object> kv = (List<Object>) k;
                    if (m.put(kv.get(0), kv.get(1)) != null) {
                        throw error("duplicate key " + kv.get(0));
                    }
                }
                return m;
            }
            if (c == '(' || c == '[') {
                pos++;
                return sequence(c == '(' ? ')' : ']', depth, false);
            }
            if (c == '\'' || c == '"') {
                return string(c);
            }
            if (c == '-' || Character.isDigit(c)) {
                int start = pos++;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                    pos++;
                }
                String digits = s.substring(start, pos);
                if (pos < s.length() && s.charAt(pos) == 'L') {
                    pos++; // Python 2 long suffix
                }
                try {
                    return Long.parseLong(digits);
                } catch (NumberFormatException e) {
                    throw error("invalid integer " + digits);
                }
            }
            for (String word : new String[] {"True", "False", "None"}) {
                if (s.startsWith(word, pos)) {
                    pos += word.length();
                    return word.equals("True") ? Boolean.TRUE : word.equals("False") ? Boolean.FALSE : null;
                }
            }
            throw error("unexpected character '" + c + "'");
        }

        /** Items up to {@code close}, comma separated, trailing comma allowed; dict items as [key, value]. */
        private List<Object> sequence(char close, int depth, boolean dict) {
            List<Object> items = new ArrayList<>();
            while (true) {
                skip();
                if (pos < s.length() && s.charAt(pos) == close) {
                    pos++;
                    return items;
                }
                Object v = value(depth + 1);
                if (dict) {
                    skip();
                    if (pos >= s.length() || s.charAt(pos) != ':') {
                        throw error("expected ':' in dict");
                    }
                    pos++;
                    v = Arrays.asList(v, value(depth + 1));
                }
                items.add(v);
                skip();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                } else if (pos >= s.length() || s.charAt(pos) != close) {
                    throw error("expected ',' or '" + close + "'");
                }
            }
        }

        private String string(char quote) {
            StringBuilder b = new StringBuilder();
            pos++;
            while (pos < s.length()) {
                char c = s.charAt(pos++);
                if (c == quote) {
                    return b.toString();
                }
                if (c == '\\' && pos < s.length()) {
                    c = s.charAt(pos++);
                }
                b.append(c);
            }
            throw error("unterminated string");
        }

        private void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private VimException error(String what) {
            return new VimException(path + ": malformed .npy header at character " + pos + " (" + what + "): " + abbreviate(s));
        }
    }
}
