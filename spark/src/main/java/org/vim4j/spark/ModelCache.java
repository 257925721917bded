package org.vim4j.spark;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.vim4j.VimModel;
import org.vim4j.VimSession;
import org.vim4j.image.Preprocessing;

/**
 * The models of this JVM (a Spark executor, or the driver in local mode): each {@link ModelSpec} is loaded once and
 * shared by every task, and closed when the JVM shuts down. Sessions (a workspace each) are pooled too, so a task
 * borrows one instead of allocating a workspace per partition; at most one per concurrently running task exists.
 */
public final class ModelCache {
    private static final System.Logger LOG = System.getLogger("org.vim4j.spark");
    private static final Map<ModelSpec, Entry> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static volatile boolean hookInstalled;

    private ModelCache() {
    }

    /** A loaded model with its labels, preprocessing and idle sessions. */
    static final class Entry {
        final ModelSpec spec;
        final VimModel model;
        final List<String> labels;
        final Preprocessing preprocessing;
        private final Map<Integer, Queue<VimSession>> idle = new ConcurrentHashMap<>();
        private volatile int featureDim;

        Entry(ModelSpec spec, VimModel model) {
            this.spec = spec;
            this.model = model;
            this.labels = model.labels();
            this.preprocessing = model.preprocessing();
        }

        /** An idle session for batches of up to {@code maxBatch} images at the model's input size, or a new one. */
        VimSession borrow(int maxBatch) {
            VimSession s = idle.computeIfAbsent(maxBatch, k -> new ConcurrentLinkedQueue<>()).poll();
            if (s == null) {
                int size = preprocessing.outputSize();
                s = model.newSession(maxBatch, size, size);
            }
            return s;
        }

        /** D, the width of a token feature: the length of one image's class-token feature, measured once. */
        int featureDim() {
            int d = featureDim;
            if (d == 0) {
                VimSession s = borrow(1);
                try {
                    int size = preprocessing.outputSize();
                    d = s.classFeatures(new float[preprocessing.channels() * size * size], 1, size, size).length;
                } finally {
                    release(s, 1);
                }
                featureDim = d;
            }
            return d;
        }

        void release(VimSession s, int maxBatch) {
            if (!model.isClosed()) {
                idle.computeIfAbsent(maxBatch, k -> new ConcurrentLinkedQueue<>()).add(s);
            }
        }
    }

    /** The model of {@code spec}, loaded on first use. A failed load is not cached: the next call tries again. */
    static Entry get(ModelSpec spec) {
        Entry e = MODELS.get(spec);
        if (e != null) {
            return e;
        }
        synchronized (ModelCache.class) { // one load at a time: loads are memory- and CPU-heavy, and set a JVM property
            e = MODELS.get(spec);
            if (e == null) {
                installShutdownHook();
                long t0 = System.nanoTime();
                VimModel m = spec.load();
                e = new Entry(spec, m);
                MODELS.put(spec, e);
                int n = LOADS.incrementAndGet();
                LOG.log(Level.INFO, () -> String.format(java.util.Locale.ROOT,
                        "vim4j-spark: loaded %s (backend %s, %d threads) in %.0f ms; model loads in this JVM (pid %d): %d",
                        spec.describe(), m.backend().id(), m.threads(), (System.nanoTime() - t0) / 1e6,
                        ProcessHandle.current().pid(), n));
            }
            return e;
        }
    }

    /** How many models this JVM has loaded since it started (each spec counts once). */
    public static int loads() {
        return LOADS.get();
    }

    /** Whether {@code spec}'s model is loaded in this JVM. */
    static boolean isLoaded(ModelSpec spec) {
        return MODELS.containsKey(spec);
    }

    private static void installShutdownHook() {
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(ModelCache::closeAll, "vim4j-spark-close-models"));
            hookInstalled = true;
        }
    }

    /** Closes every model (waiting for running inferences) and empties the cache. */
    static synchronized void closeAll() {
        for (Entry e : MODELS.values()) {
            e.model.close();
        }
        MODELS.clear();
    }
}
