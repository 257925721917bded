package org.vim4j.spark;

import java.net.URI;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Every file under some directories or globs as a one-column ({@code path}) DataFrame, for the transformers' path
 * input. Unlike reading them with the {@code binaryFile} or image source, empty files are kept (Spark's file sources
 * skip zero-length files, so such a file would vanish from the output instead of getting an error row), and nothing
 * is read until a task decodes it.
 */
public final class ImageFiles {
    private ImageFiles() {
    }

    /**
     * The files under {@code inputs} (directories are searched recursively; globs and any Hadoop path work), sorted,
     * in {@code partitions} tasks (0: four per core of the application, at most one per file).
     */
    public static Dataset<Row> list(SparkSession spark, int partitions, String... inputs) {
        return toDataFrame(spark, paths(spark, inputs), partitions);
    }

    /** The files under {@code inputs} as Hadoop path strings (the form of binaryFile's {@code path} column), sorted. */
    public static List<String> paths(SparkSession spark, String... inputs) {
        String[] uris = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(inputs).inputFiles();
        return Arrays.stream(uris).map(u -> new org.apache.hadoop.fs.Path(URI.create(u)).toString()).sorted().toList();
    }

    /** {@code paths} as a one-column DataFrame in {@code partitions} tasks (0: four per core, at most one per path). */
    public static Dataset<Row> toDataFrame(SparkSession spark, List<String> paths, int partitions) {
        int n = partitions > 0 ? partitions : 4 * spark.sparkContext().defaultParallelism();
        n = Math.max(1, Math.min(n, paths.size()));
        var rows = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(paths, n).map(RowFactory::create);
        return spark.createDataFrame(rows, new StructType().add("path", DataTypes.StringType, false));
    }
}
