package org.vim4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.io.idx.IdxDataset;

import scala.collection.Seq;

/**
 * The 10,000 Fashion-MNIST test images as PNG files through the transformers on local[2]: every row equals the
 * single-JVM API's answer (logits bit for bit) and the accuracy equals {@code vim4j eval}'s (89.71%) exactly, from
 * binaryFile content and from paths (the image source on one class), and each executor JVM loads the model once.
 */
class FashionMnistSparkTest {
    static SparkSession spark;
    static SparkTests.FashionMnist data;

    @BeforeAll
    static void setUp() {
        assumeTrue(SparkTests.hasFashionMnist(), "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        spark = SparkTests.spark();
        data = SparkTests.fashionMnist();
    }

    /** Correct top-1 answers as {@code vim4j eval} counts them: straight from the IDX bytes, batches of 64. */
    static int evalCorrect() {
        IdxDataset d = IdxDataset.read(SparkTests.FASHION_MNIST, "t10k");
        int correct = 0, n = d.count(), px = 28 * 28, b = 64;
        try (VimModel m = VimModel.loadDefault(VimOptions.defaults()); VimSession s = m.newSession(b, 28, 28)) {
            float mean = m.preprocessing().mean()[0], std = m.preprocessing().std()[0];
            for (int start = 0; start < n; start += b) {
                int k = Math.min(b, n - start);
                float[] x = new float[k * px];
                for (int i = 0; i < k * px; i++) {
                    x[i] = ((d.pixels()[start * px + i] & 0xff) / 255f - mean) / std;
                }
                float[] logits = s.logits(x, k, 28, 28);
                for (int i = 0; i < k; i++) {
                    correct += Outputs.topK(logits, i * 10, 10, 1)[0] == d.label(start + i) ? 1 : 0;
                }
            }
        }
        return correct;
    }

    /** Checks every row against the API and returns the number of correct top-1 answers. */
    static int check(List<Row> rows, String what) {
        return check(rows, what, 10_000);
    }

    static int check(List<Row> rows, String what, int expected) {
        assertEquals(expected, rows.size(), what + ": one row per image");
        int c = data.classes(), correct = 0;
        BitSet seen = new BitSet();
        List<String> labelNames = null;
        for (Row r : rows) {
            int i = SparkTests.FashionMnist.index(r.getString(0));
            assertFalse(seen.get(i), what + ": image " + i + " twice");
            seen.set(i);
            assertNull(r.get(r.fieldIndex("error")), what + " " + i);
            float[] want = Arrays.copyOfRange(data.logits(), i * c, (i + 1) * c);
            float[] logits = floats(r.getList(r.fieldIndex("logits")));
            assertArrayEquals(want, logits, what + ": logits of image " + i); // bit-identical: same kernels, any batch
            int[] top = Outputs.topK(want, 0, c, 5);
            List<Integer> indices = r.getList(r.fieldIndex("indices"));
            assertEquals(Arrays.stream(top).boxed().toList(), indices, what + " " + i);
            assertArrayEquals(Outputs.probabilities(want, 0, c, top), floats(r.getList(r.fieldIndex("probabilities"))), what + " " + i);
            if (labelNames == null) {
                try (VimModel m = VimModel.loadDefault(VimOptions.defaults().withThreads(1))) {
                    labelNames = m.labels();
                }
            }
            assertEquals(labelNames.get(top[0]), r.getList(r.fieldIndex("labels")).get(0));
            correct += top[0] == data.labels()[i] ? 1 : 0;
        }
        return correct;
    }

    static float[] floats(List<Object> l) {
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (Float) l.get(i);
        }
        return f;
    }

    @Test
    void binaryFileContentGivesTheApiAnswersAndEvalAccuracy() {
        Dataset<Row> files = spark.read().format("binaryFile").load(data.dir().toString());
        List<Row> rows = new VimImageClassifier().setBatchSize(50).transform(files)
                .select("path", "labels", "probabilities", "indices", "logits", "error").collectAsList();
        int correct = check(rows, "binaryFile");
        int eval = evalCorrect();
        assertEquals(8971, eval, "vim4j eval's top-1 on the IDX test set");
        assertEquals(eval, correct, "Spark's top-1 over the PNG files");
    }

    /** Spark's image source (slow: it decodes through ImageIO's temporary-file cache), on the 1,000 images of class 3. */
    @Test
    void theImageSourceGivesTheSameAnswers() {
        Dataset<Row> images = spark.read().format("image").option("pathGlobFilter", "*-3.png").load(data.dir().toString());
        List<Row> rows = new VimImageClassifier().setInputCol("image").transform(images)
                .select(col("image.origin"), col("labels"), col("probabilities"), col("indices"), col("logits"), col("error"))
                .collectAsList();
        int want = 0;
        for (int i = 0; i < data.labels().length; i++) {
            want += data.labels()[i] == 3 && Outputs.topK(data.logits(), i * data.classes(), data.classes(), 1)[0] == 3 ? 1 : 0;
        }
        assertEquals(want, check(rows, "image source", 1000));
    }

    /**
     * Paths read by the tasks themselves, on a model spec of its own (2 threads per task): all 10,000 images, in many
     * tasks over local[2]'s two task threads, cost one model load in the one executor JVM, which the driver's weights
     * check made and the tasks reused.
     */
    @Test
    void pathsGiveTheSameAnswersWithOneModelLoadPerExecutorJvm() {
        Dataset<Row> paths = spark.read().format("binaryFile").load(data.dir().toString()).select("path");
        assertTrue(paths.rdd().getNumPartitions() > 10, "many tasks: " + paths.rdd().getNumPartitions());
        VimImageClassifier clf = new VimImageClassifier().setInputCol("path").setThreadsPerTask(2);
        ModelSpec spec = clf.spec(spark);
        assertFalse(ModelCache.isLoaded(spec));
        int before = ModelCache.loads();
        List<Row> rows = clf.transform(paths).collectAsList();
        assertEquals(8971, check(rows, "paths"));
        assertEquals(before + 1, ModelCache.loads(), "model loads in this JVM");

        // Every executor JVM reports its loads: local mode has one, the driver's.
        List<String> perTask = spark.range(0, 16, 1, 16).mapPartitions((MapPartitionsFunction<Long, String>) it -> {
            return List.of(ProcessHandle.current().pid() + " loads=" + ModelCache.loads() + " loaded=" + ModelCache.isLoaded(spec))
                    .iterator();
        }, Encoders.STRING()).collectAsList();
        Set<String> distinct = new TreeSet<>(perTask);
        assertEquals(Set.of(ProcessHandle.current().pid() + " loads=" + (before + 1) + " loaded=true"), distinct);
    }

    @Test
    void featuresAreTheApiFeatures() {
        Dataset<Row> files = spark.read().format("binaryFile").option("pathGlobFilter", "*-7.png").load(data.dir().toString());
        List<Row> cls = new VimFeatureExtractor().transform(files).select("path", "features", "error").collectAsList();
        List<Row> tokens = new VimFeatureExtractor().setFeatureKind("tokens").setFeaturesCol("tokens").setBatchSize(16)
                .transform(files).select("path", "tokens", "error").collectAsList();
        assertEquals(1000, cls.size(), "the images of class 7");
        assertEquals(cls.size(), tokens.size());
        int d = data.dim();
        for (Row r : cls) {
            int i = SparkTests.FashionMnist.index(r.getString(0));
            assertNull(r.get(2));
            assertArrayEquals(Arrays.copyOfRange(data.cls(), i * d, (i + 1) * d), floats(r.getList(1)), "cls of " + i);
        }
        for (Row r : tokens) {
            int i = SparkTests.FashionMnist.index(r.getString(0));
            List<Seq<Object>> t = r.getList(1);
            assertEquals(7 * 7 + 1, t.size(), "tokens of a 28x28 image: 49 patches and the class token (at 49 / 2)");
            float[] middle = floats(scala.jdk.javaapi.CollectionConverters.asJava(t.get((t.size() - 1) / 2)));
            assertEquals(d, middle.length);
            assertArrayEquals(Arrays.copyOfRange(data.cls(), i * d, (i + 1) * d), middle, "class token of " + i);
        }
    }
}
