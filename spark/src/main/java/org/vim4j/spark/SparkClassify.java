package org.vim4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import org.vim4j.VimException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vim4j spark-classify}: classifies every image under a directory or glob on Spark and writes one row per file
 * (path, top-1 label, probability, error) as Parquet or CSV. Files are listed on the driver ({@link ImageFiles}: empty
 * files too) without reading them; each task reads and decodes its files itself (bounded memory, whatever their
 * size), batches them and runs the executor's cached model. Progress goes to stderr, the summary to stdout.
 */
@Command(name = "spark-classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Classify a directory or glob of images on Spark: one row per image (path, label, probability, error).")
public final class SparkClassify implements Callable<Integer> {
    @Option(names = "--input", required = true, paramLabel = "DIR_OR_GLOB",
            description = "Directory (searched recursively) or glob of image files; any Hadoop path (hdfs://, s3a://, ...). Repeatable.")
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "OUT", description = "Output directory (Spark writes part files).")
    String output;

    @Option(names = "--format", defaultValue = "parquet", description = "parquet | csv. Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--weights", description = "Checkpoint every executor can read (path or Hadoop URI). Default: the embedded Fashion-MNIST model.")
    String weights;

    @Option(names = "--master", description = "Spark master. Default: spark-submit's, else local[*].")
    String master;

    @Option(names = "--batch", defaultValue = "64", description = "Images per inference. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--threads-per-task", defaultValue = "0",
            description = "Kernel threads per task. Default: spark.task.cpus (an executor's tasks then use its cores once).")
    int threadsPerTask;

    @Option(names = "--backend", defaultValue = "auto", description = "auto | scalar | vector | native | cuda. Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--entry", defaultValue = "model", description = "State dict of a training checkpoint: model | model_ema.")
    String entry;

    @Option(names = "--precision", defaultValue = "auto", description = "auto | fp32 | bf16 | int8 | tf32 (CUDA only): "
            + "the linear layers' precision (docs/precision.md); auto: the checkpoint's own, else the backend's. "
            + "Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Tasks to split the files into. Default: 4 per core of the application (at most one per file).")
    int partitions;

    @Option(names = "--overwrite", description = "Replace OUT if it exists.")
    boolean overwrite;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    private SparkSession spark;
    private final PrintStream err = System.err;

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "org/vim4j/spark/log4j2-cli.properties");
        }
        System.exit(run(null, args));
    }

    /** Runs the command; with {@code session} null it creates (and at the end stops) its own Spark session. */
    public static int run(SparkSession session, String... args) {
        SparkClassify cmd = new SparkClassify();
        cmd.spark = session;
        CommandLine cli = new CommandLine(cmd);
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("vim4j spark-classify: error: " + oneLine(ex));
            if (Boolean.getBoolean("vim4j.debug")) {
                ex.printStackTrace(c.getErr());
            }
            return ex instanceof VimException || ex instanceof IllegalArgumentException || ex instanceof AnalysisException ? 2 : 1;
        });
        return cli.execute(args);
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            m = ex.getClass().getSimpleName();
        } else if (!(ex instanceof VimException)) {
            m = ex.getClass().getSimpleName() + ": " + m;
        }
        return m.replace('\n', ' ');
    }

    @Override
    public Integer call() {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("parquet") && !fmt.equals("csv")) {
            throw new IllegalArgumentException("--format must be parquet or csv, got '" + format + "'");
        }
        boolean own = spark == null;
        if (own) {
            SparkSession.Builder b = SparkSession.builder().appName("vim4j spark-classify");
            String m = master != null ? master : System.getProperty("spark.master", "local[*]");
            b.master(m);
            if (m.startsWith("local") && System.getProperty("spark.ui.enabled") == null) {
                b.config("spark.ui.enabled", "false");
            }
            spark = b.getOrCreate();
        }
        try {
            return classify(fmt);
        } finally {
            if (own) {
                spark.stop();
            }
        }
    }

    private int classify(String fmt) {
        long t0 = System.nanoTime();
        List<String> paths = ImageFiles.paths(spark, inputs.toArray(new String[0]));
        Dataset<Row> files = ImageFiles.toDataFrame(spark, paths, partitions);
        long total = paths.size();
        double listSecs = (System.nanoTime() - t0) / 1e9;
        err.printf(Locale.ROOT, "spark-classify: %d files under %s (listed in %.1f s), %d tasks, master %s%n", total,
                String.join(", ", inputs), listSecs, files.rdd().getNumPartitions(), spark.sparkContext().master());

        VimImageClassifier clf = new VimImageClassifier().setInputCol("path").setTopK(1).setBatchSize(batch)
                .setThreadsPerTask(threadsPerTask).setBackend(backend).setEntry(entry).setPrecision(precision)
                .setIndicesCol("").setLogitsCol("");
        if (weights != null) {
            clf.setWeights(weights);
        }
        long t1 = System.nanoTime();
        Dataset<Row> out = clf.transform(files).select(col("path"), element_at(col("labels"), 1).as("label"),
                element_at(col("probabilities"), 1).as("probability"), col("error"));
        double loadSecs = (System.nanoTime() - t1) / 1e9;

        Progress progress = new Progress(total);
        spark.sparkContext().addSparkListener(progress);
        long t2 = System.nanoTime();
        try {
            out.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).format(fmt).option("header", "true")
                    .save(output);
        } finally {
            spark.sparkContext().removeSparkListener(progress);
        }
        double secs = (System.nanoTime() - t2) / 1e9;

        Dataset<Row> written = spark.read().format(fmt).option("header", "true").load(output);
        long images = written.count(), errors = written.filter(col("error").isNotNull()).count();
        if (json) {
            System.out.printf(Locale.ROOT, "{\"images\":%d,\"errors\":%d,\"seconds\":%.3f,\"images_per_s\":%.1f,"
                    + "\"list_seconds\":%.3f,\"model_seconds\":%.3f,\"tasks\":%d,\"output\":\"%s\",\"format\":\"%s\"}%n", images,
                    errors, secs, images / secs, listSecs, loadSecs, files.rdd().getNumPartitions(), output.replace("\"", "\\\""), fmt);
        } else {
            System.out.printf(Locale.ROOT, "%d images (%d errors) in %.1f s, %.0f images/s -> %s (%s)%n", images, errors, secs,
                    images / secs, output, fmt);
        }
        if (errors > 0) {
            for (Row r : written.filter(col("error").isNotNull()).select("error").limit(5).collectAsList()) {
                err.println("spark-classify: " + r.getString(0));
            }
            if (errors > 5) {
                err.println("spark-classify: ... " + (errors - 5) + " more; see the error column");
            }
        }
        return 0;
    }

    /** Images written so far, on stderr: a line per ~10% of the files (or per 10 s). */
    private final class Progress extends SparkListener {
        private final long total;
        private final long start = System.nanoTime();
        private final AtomicLong done = new AtomicLong();
        private long lastPrint = System.nanoTime();
        private int lastDecile;

        Progress(long total) {
            this.total = Math.max(total, 1);
        }

        @Override
        public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
            if (end.taskMetrics() == null) {
                return;
            }
            long n = done.addAndGet(end.taskMetrics().outputMetrics().recordsWritten());
            long now = System.nanoTime();
            int decile = (int) (10 * n / total);
            if (decile != lastDecile || now - lastPrint > 10_000_000_000L) {
                double secs = (now - start) / 1e9;
                err.printf(Locale.ROOT, "spark-classify: %d/%d images (%.0f%%), %.0f images/s%n", n, total, 100.0 * n / total,
                        n / secs);
                lastDecile = decile;
                lastPrint = now;
            }
        }
    }
}
