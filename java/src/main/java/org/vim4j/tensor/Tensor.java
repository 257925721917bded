package org.vim4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import org.vim4j.VimException;

/**
 * A named, shaped view of off-heap memory in C (row-major) order.
 *
 * <p>A tensor does not own its memory: the {@link Arena} (or memory-mapped file) that made its
 * segment does. Once that owner is closed, every access through this tensor throws
 * {@link IllegalStateException} (the FFM runtime checks the segment's scope), never crashes.
 */
public final class Tensor {
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final MemorySegment data;

    private Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    /** Wraps existing memory; the segment must hold exactly {@code numel(shape) * dtype.byteSize()} bytes. */
    public static Tensor wrap(String name, DType dtype, MemorySegment data, long... shape) {
        long[] s = shape.clone();
        long n = numel(s);
        long expected = Math.multiplyExact(n, dtype.byteSize());
        if (data.byteSize() != expected) {
            throw new VimException("tensor '" + name + "': " + Arrays.toString(s) + " " + dtype + " needs " + expected
                    + " bytes, memory has " + data.byteSize());
        }
        return new Tensor(name, dtype, s, data);
    }

    /** Allocates a zero-filled fp32 tensor, 64-byte aligned, owned by {@code arena}. */
    public static Tensor allocate(Arena arena, String name, long... shape) {
        long bytes = Math.multiplyExact(numel(shape), 4L);
        return new Tensor(name, DType.F32, shape.clone(), arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes));
    }

    /** Copies a float array into a new fp32 tensor owned by {@code arena}. */
    public static Tensor copyOf(Arena arena, String name, float[] values, long... shape) {
        Tensor t = allocate(arena, name, shape);
        if (values.length != t.numel()) {
            throw new VimException("tensor '" + name + "': " + values.length + " values for shape " + Arrays.toString(shape));
        }
        MemorySegment.copy(values, 0, t.data, ValueLayout.JAVA_FLOAT, 0, values.length);
        return t;
    }

    public static long numel(long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new VimException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public long numel() {
        return numel(shape);
    }

    public MemorySegment data() {
        return data;
    }

    public boolean hasShape(long... expected) {
        return Arrays.equals(shape, expected);
    }

    /** Same memory, new shape with the same element count. */
    public Tensor reshape(long... newShape) {
        if (numel(newShape) != numel()) {
            throw new VimException("tensor '" + name + "': cannot reshape " + Arrays.toString(shape) + " to "
                    + Arrays.toString(newShape));
        }
        return new Tensor(name, dtype, newShape.clone(), data);
    }

    public Tensor withName(String newName) {
        return new Tensor(newName, dtype, shape, data);
    }

    /** Element {@code i} (flat, C order) as a float, converting from the stored dtype. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case F16 -> Float.float16ToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xffff) << 16);
            case F64 -> (float) data.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            default -> throw new VimException("tensor '" + name + "' has dtype " + dtype + ", not a floating-point type");
        };
    }

    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new VimException("tensor '" + name + "' is too large for a Java array: " + n + " elements");
        }
        float[] out = new float[(int) n];
        if (dtype == DType.F32) {
            MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = getFloat(i);
            }
        }
        return out;
    }

    /** This tensor as fp32: itself when already fp32 and aligned, else a converted copy in {@code arena}. */
    public Tensor toF32(Arena arena) {
        if (dtype == DType.F32 && data.address() % 4 == 0) {
            return this;
        }
        if (!dtype.isFloatingPoint()) {
            throw new VimException("tensor '" + name + "' has dtype " + dtype + "; expected a floating-point tensor");
        }
        Tensor out = allocate(arena, name, shape);
        long n = numel();
        for (long i = 0; i < n; i++) {
            out.data.setAtIndex(ValueLayout.JAVA_FLOAT, i, getFloat(i));
        }
        return out;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + ":" + dtype;
    }
}
