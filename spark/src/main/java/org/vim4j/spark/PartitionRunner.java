package org.vim4j.spark;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import org.vim4j.VimException;
import org.vim4j.VimSession;
import org.vim4j.image.Preprocessing;

/**
 * Runs one partition: rows are decoded and batched inside the partition, each batch runs on a pooled session of the
 * JVM's cached model, and every input row gives exactly one output row, in order: its columns, then the outputs, or
 * null outputs and the reason in the error column when the image cannot be used.
 */
final class PartitionRunner implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /** What a transformer computes from a batch and writes per image. */
    interface Head extends Serializable {
        /** Number of output columns, the error column excluded. */
        int width();

        /** Runs {@code n} preprocessed images; the result holds {@code n} equal slices. */
        float[] infer(VimSession session, float[] x, int n, int size);

        /** Writes the outputs of image {@code i} of {@code out} to {@code vals[at ..]}. */
        void emit(ModelCache.Entry model, float[] out, int n, int i, Object[] vals, int at);
    }

    private final ModelSpec spec;
    private final ImageColumn kind;
    private final int inputCol;
    private final int pathCol;
    private final int batch;
    private final Head head;

    PartitionRunner(ModelSpec spec, ImageColumn kind, int inputCol, int pathCol, int batch, Head head) {
        this.spec = spec;
        this.kind = kind;
        this.inputCol = inputCol;
        this.pathCol = pathCol;
        this.batch = batch;
        this.head = head;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return new Batches(rows);
    }

    private final class Batches implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private ModelCache.Entry model;
        private VimSession session;
        private final AtomicBoolean released = new AtomicBoolean();
        private float[] x;

        Batches(Iterator<Row> rows) {
            this.rows = rows;
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && rows.hasNext()) {
                fill();
            }
            if (ready.isEmpty()) {
                release();
                return false;
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void open() {
            model = ModelCache.get(spec);
            session = model.borrow(batch);
            TaskContext ctx = TaskContext.get();
            if (ctx != null) { // a task that stops early (limit, failure) still hands its session back
                ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> release());
            }
        }

        private void release() {
            if (session != null && released.compareAndSet(false, true)) {
                model.release(session, batch);
            }
        }

        /** Decodes up to a batch of rows, runs the good ones, queues one output row per input row. */
        private void fill() {
            if (model == null) {
                open();
            }
            Preprocessing p = model.preprocessing;
            int size = p.outputSize(), per = p.channels() * size * size;
            if (x == null) {
                x = new float[batch * per];
            }
            Row[] in = new Row[batch];
            String[] errors = new String[batch];
            int[] slot = new int[batch];
            int count = 0, good = 0;
            while (count < batch && rows.hasNext()) {
                Row r = rows.next();
                in[count] = r;
                Object value = r.get(inputCol);
                String name = kind.name(value, pathCol >= 0 && !r.isNullAt(pathCol) ? r.getString(pathCol) : null);
                slot[count] = -1;
                try {
                    float[] img = kind.decode(value, name, p);
                    System.arraycopy(img, 0, x, good * per, per);
                    slot[count] = good++;
                } catch (VimException e) {
                    errors[count] = e.getMessage();
                } catch (RuntimeException e) { // a decoder bug must cost one row, not the job
                    errors[count] = name + ": cannot decode image: " + e;
                }
                count++;
            }
            float[] out = null;
            if (good > 0) {
                float[] input = good == batch ? x : java.util.Arrays.copyOf(x, good * per);
                out = head.infer(session, input, good, size);
            }
            int width = in[0].length();
            for (int i = 0; i < count; i++) {
                Object[] vals = new Object[width + head.width() + 1];
                for (int c = 0; c < width; c++) {
                    vals[c] = in[i].get(c);
                }
                if (slot[i] >= 0) {
                    head.emit(model, out, good, slot[i], vals, width);
                } else {
                    vals[width + head.width()] = errors[i];
                }
                ready.add(RowFactory.create(vals));
            }
        }
    }
}
