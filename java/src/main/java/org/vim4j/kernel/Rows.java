package org.vim4j.kernel;

import java.lang.foreign.MemorySegment;

/**
 * A row-major fp32 matrix inside a buffer: row {@code i} starts at float {@code offset + i*ld} of {@code data}.
 * Offsets and leading dimensions count floats, not bytes. Views over a workspace are made once per workspace, so
 * the forward loop creates none.
 */
public record Rows(MemorySegment data, long offset, int ld) {
    public Rows {
        if (offset < 0 || ld < 1) {
            throw new IllegalArgumentException("Rows: offset " + offset + " must be >= 0 and ld " + ld + " >= 1");
        }
    }

    /** Contiguous rows of {@code width} floats from the start of {@code data}. */
    public static Rows of(MemorySegment data, int width) {
        return new Rows(data, 0, width);
    }

    /** The same rows starting {@code floats} further into the buffer (e.g. the z half of in_proj's output). */
    public Rows shift(long floats) {
        return new Rows(data, offset + floats, ld);
    }

    /** Float index of element {@code (row, col)}. */
    public long index(long row, long col) {
        return offset + row * ld + col;
    }
}
