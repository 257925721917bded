import java.lang.foreign.*;
import java.util.*;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.kernel.*;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Single-thread timing of one backend's selective scan on ScanBench's inputs (one Vim-Tiny branch: 197 tokens x
 * 384 channels x 16 states): after an 8 s warm-up, samples of the best of 5 back-to-back calls for the given
 * seconds; prints min and median us per call and Gupdate/s. On a shared machine run the builds to compare in
 * turns (ABAB) and compare mins. Source-launched against a build's jars, e.g.
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "benchmarks/target/lib/*" tools/ScanAB.java vector 10}.
 */
public final class ScanAB {
    static final int L = 197, E = 384, N = 16, R = 12, XDBL = R + 2 * N;
    static Arena arena = Arena.ofShared();
    static MemorySegment random(long floats, long seed, float scale, float offset) {
        MemorySegment s = arena.allocate(Math.max(floats, 1) * 4, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < floats; i++) s.setAtIndex(JAVA_FLOAT, i, offset + scale * (float) (r.nextDouble() * 2 - 1));
        return s;
    }
    public static void main(String[] a) {
        BackendKind kind = BackendKind.valueOf(a[0].toUpperCase());
        int seconds = Integer.parseInt(a[1]);
        Kernels k = Backends.create(kind, 1);
        MemorySegment u = random((long) L * E, 1, 1f, 0), delta = random((long) L * E, 2, 0.5f, 0), aT = random((long) N * E, 3, 0, 0);
        for (int n = 0; n < N; n++) for (int e = 0; e < E; e++) aT.setAtIndex(JAVA_FLOAT, (long) n * E + e, -(n + 1));
        MemorySegment bc = random((long) L * XDBL, 4, 1f, 0), dSkip = random(E, 5, 0.1f, 1f), deltaBias = random(E, 6, 1f, -3f);
        MemorySegment z = random((long) L * 2 * E, 7, 1f, 0);
        Rows out = Rows.of(random((long) L * E, 8, 0f, 0), E);
        ScanInputs in = new ScanInputs(Rows.of(u, E), Rows.of(delta, E), new Rows(bc, R, XDBL), new Rows(bc, R + N, XDBL), new Rows(z, E, 2 * E));
        ScanWeights w = new ScanWeights(aT, dSkip, deltaBias, E, N);
        long end = System.nanoTime() + 8_000_000_000L;  // warm-up
        while (System.nanoTime() < end) k.selectiveScan(in, w, out, 1, L, ScanMode.FORWARD_HALF);
        List<Double> ts = new ArrayList<>();
        end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) { long t0 = System.nanoTime(); k.selectiveScan(in, w, out, 1, L, ScanMode.FORWARD_HALF); best = Math.min(best, System.nanoTime() - t0); }
            ts.add(best / 1e3);
        }
        Collections.sort(ts);
        double min = ts.get(0), med = ts.get(ts.size() / 2);
        double sum = 0; for (int i = 0; i < L * E; i++) sum += out.data().getAtIndex(JAVA_FLOAT, i);
        System.out.printf(Locale.ROOT, "%s: min %.1f us, med %.1f us -> %.2f Gupdate/s (min) %.2f (med)  [%d samples, checksum %.6g]%n", kind, min, med,
                (double) L * E * N / min / 1e3, (double) L * E * N / med / 1e3, ts.size(), sum);
        k.close();
    }
}
