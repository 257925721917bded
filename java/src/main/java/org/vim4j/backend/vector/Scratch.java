package org.vim4j.backend.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread working memory of the kernels (packed A panels, scan states and staging rows).
 *
 * <p>Every pool worker and every calling thread owns one, grown on first use and then reused, so a
 * forward pass allocates nothing in steady state and threads never share a cache line of scratch.
 * Arrays are on-heap {@code float[]}: C2 eliminates their bounds checks in counted loops, and they live
 * as long as their thread.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    private float[] packA = new float[0];
    private float[] rowScales = new float[0];
    private float[] states = new float[0];
    private float[] stateRates = new float[0];
    private float[] steps = new float[0];
    private float[] taps = new float[0];
    private float[] panel = new float[0];
    private float[] tileRow = new float[0];
    private float[] plainRows = new float[0];
    private short[] plainShorts = new short[0];
    private byte[] plainBytes = new byte[0];
    private MemorySegment tile;

    private Scratch() {
    }

    static Scratch get() {
        return LOCAL.get();
    }

    /** Packed rows of A for the GEMM. */
    float[] packA(int n) {
        if (packA.length < n) {
            packA = new float[n];
        }
        return packA;
    }

    /** The INT8 GEMM's per-token activation scales {@code sa} of the packed rows. */
    float[] rowScales(int n) {
        if (rowScales.length < n) {
            rowScales = new float[n];
        }
        return rowScales;
    }

    /**
     * The GEMM's edge tile, one microkernel's accumulators ({@code 6 x 2} or {@code 4 x 3} vectors). Native
     * memory like the activations, so the microkernel's C accesses see a single segment class.
     */
    MemorySegment tile() {
        if (tile == null) {
            tile = Arena.ofAuto().allocate((long) GemmKernel.TILE_VECTORS * VectorLanes.BYTES, 64);
        }
        return tile;
    }

    /** The scan's hidden state h, {@code states * LANES}. */
    float[] states(int n) {
        if (states.length < n) {
            states = new float[n];
        }
        return states;
    }

    /** The scan's A * log2(e) for one channel block, {@code states * LANES}. */
    float[] stateRates(int n) {
        if (stateRates.length < n) {
            stateRates = new float[n];
        }
        return stateRates;
    }

    /** Per-step staging (dt, dt*u, y) of one scan chunk. */
    float[] steps(int n) {
        if (steps.length < n) {
            steps = new float[n];
        }
        return steps;
    }

    /** The plain tier's copy of one packed weight panel ({@link PlainGemm}). */
    float[] panel(int n) {
        if (panel.length < n) {
            panel = new float[n];
        }
        return panel;
    }

    /** The plain tier's per-column values of one panel: initial values (bias or zero), INT8 scales and bias. */
    float[] tileRow(int n) {
        if (tileRow.length < n) {
            tileRow = new float[n];
        }
        return tileRow;
    }

    /** The plain tier's copies of a task's rows (scan, conv, norm and add inputs and outputs). */
    float[] plainRows(int n) {
        if (plainRows.length < n) {
            plainRows = new float[n];
        }
        return plainRows;
    }

    /** The plain tier's copy of one bf16 panel ({@link PlainQuantGemm}). */
    short[] plainShorts(int n) {
        if (plainShorts.length < n) {
            plainShorts = new short[n];
        }
        return plainShorts;
    }

    /** The plain tier's copy of one int8 panel ({@link PlainQuantGemm}). */
    byte[] plainBytes(int n) {
        if (plainBytes.length < n) {
            plainBytes = new byte[n];
        }
        return plainBytes;
    }

    /** Conv taps of one channel block, transposed to {@code kernel * LANES}. */
    float[] taps(int n) {
        if (taps.length < n) {
            taps = new float[n];
        }
        return taps;
    }
}
