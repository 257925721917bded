import java.util.Locale;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import org.vim4j.spark.ImageFiles;
import org.vim4j.spark.ModelCache;
import org.vim4j.spark.VimImageClassifier;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;

/**
 * spark-classify's job, `passes` times in one JVM (the first pass includes the JIT's warm-up, as a fresh spark-classify
 * does; later ones show Spark's steady state): list the files, classify them (path input, top-1), write Parquet. The
 * time is the listing plus the job; the model load (the driver's weights check, first pass only) is reported apart.
 * Mode "content" reads the files with Spark's binaryFile source instead (content column input), in as many tasks.
 *
 *   java <vim4j and Spark JVM flags> -cp 'spark/target/vim4j-spark-*.jar:spark/target/app/*:spark/target/lib/*' \
 *       benchmarks/spark/SparkThroughput.java DIR OUT [master] [passes] [paths|content] [batch]
 */
public class SparkThroughput {
    public static void main(String[] args) {
        String dir = args[0], out = args[1];
        String master = args.length > 2 ? args[2] : "local[2]";
        int passes = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        String mode = args.length > 4 ? args[4] : "paths";
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 64;
        long t0 = System.nanoTime();
        SparkSession spark = SparkSession.builder().master(master).appName("vim4j spark benchmark").config("spark.ui.enabled", "false")
                .getOrCreate();
        double startSecs = (System.nanoTime() - t0) / 1e9;
        try {
            for (int pass = 1; pass <= passes; pass++) {
                long start = System.nanoTime();
                // binaryFile packs ~32 small files per partition (spark.sql.files.openCostInBytes = 4 MB each): 313 tasks for
                // 10,000 PNGs, each writing its own Parquet file. Coalesce to spark-classify's 4 tasks per core.
                Dataset<Row> in = mode.equals("content")
                        ? spark.read().format("binaryFile").load(dir).coalesce(4 * spark.sparkContext().defaultParallelism())
                        : ImageFiles.list(spark, 0, dir);
                VimImageClassifier clf = new VimImageClassifier().setInputCol(mode.equals("content") ? "content" : "path").setTopK(1)
                        .setBatchSize(batch).setIndicesCol("").setLogitsCol("");
                long t1 = System.nanoTime();
                Dataset<Row> result = clf.transform(in); // the driver's weights check: the model load, on the first pass
                long t2 = System.nanoTime();
                result.select(col("path"), element_at(col("labels"), 1).as("label"),
                        element_at(col("probabilities"), 1).as("probability"), col("error"))
                        .write().mode("overwrite").parquet(out);
                long t3 = System.nanoTime();
                double secs = ((t1 - start) + (t3 - t2)) / 1e9; // listing + the job; the model load is reported apart
                long n = spark.read().parquet(out).count();
                System.out.printf(Locale.ROOT, "{\"pass\":%d,\"images\":%d,\"seconds\":%.3f,\"images_per_s\":%.1f,\"mode\":\"%s\","
                        + "\"master\":\"%s\",\"batch\":%d,\"tasks\":%d,\"list_seconds\":%.3f,\"model_seconds\":%.3f,"
                        + "\"session_start_seconds\":%.3f,\"model_loads\":%d}%n", pass, n, secs, n / secs, mode, master, batch,
                        in.rdd().getNumPartitions(), (t1 - start) / 1e9, (t2 - t1) / 1e9, startSecs, ModelCache.loads());
            }
        } finally {
            spark.stop();
        }
    }
}
