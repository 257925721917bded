package org.vim4j.bench.jmh;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.SplittableRandom;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.kernel.Kernels;

/**
 * What every kernel benchmark needs: one backend's kernels with their own runtime of {@code threads} threads, and an arena for
 * inputs filled with deterministic random values. Shapes are Vim-Tiny's at 224x224 (L = 197 tokens, D = 192,
 * E = 384, N = 16, R = 12).
 */
@State(Scope.Benchmark)
public abstract class KernelState {
    public static final int L = 197, D = 192, E = 384, N = 16, R = 12, K = 4;

    @Param({"vector", "native"})
    public String backend;

    @Param({"1"})
    public int threads;

    protected Kernels kernels;
    protected Arena arena;

    @Setup(Level.Trial)
    public void setUpKernels() {
        BackendKind kind = BackendKind.valueOf(backend.toUpperCase(Locale.ROOT));
        kernels = Backends.create(kind, kind == BackendKind.SCALAR ? 1 : threads);
        arena = Arena.ofShared();
        setUp();
    }

    /** Allocates and fills this benchmark's buffers (kernels and arena are ready). */
    protected abstract void setUp();

    @TearDown(Level.Trial)
    public void tearDownKernels() {
        tearDown();
        arena.close();
        kernels.close();
    }

    /** Frees what {@link #setUp()} made outside the arena. */
    protected void tearDown() {
    }

    protected MemorySegment random(long floats, long seed, float scale, float offset) {
        MemorySegment s = arena.allocate(Math.max(floats, 1) * 4, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(JAVA_FLOAT, i, offset + scale * (float) (r.nextDouble() * 2 - 1));
        }
        return s;
    }
}
