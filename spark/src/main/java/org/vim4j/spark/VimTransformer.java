package org.vim4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import org.vim4j.VimModel;

import scala.Function1;

/**
 * What {@link VimImageClassifier} and {@link VimFeatureExtractor} share: the model params, the input column, batching
 * and the error column, the driver-side check of the weights, and the partition-wise run. Saved and loaded as an ML
 * pipeline stage through Spark's default params writer and reader.
 *
 * @param <T> the concrete stage, which the setters return
 */
public abstract class VimTransformer<T extends VimTransformer<T>> extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> inputCol;
    private final Param<String> errorCol;
    private final Param<String> weights;
    private final Param<String> entry;
    private final Param<String> backend;
    private final IntParam threadsPerTask;
    private final Param<String> precision;
    private final IntParam batchSize;

    protected VimTransformer(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "input column: " + ImageColumn.TYPES);
        errorCol = new Param<>(this, "errorCol", "output column for the reason an image could not be used (null when it was)",
                nonEmpty());
        weights = new Param<>(this, "weights", "checkpoint (.pth or .safetensors) as a path every executor can read or a "
                + "Hadoop URI (hdfs://, s3a://: copied once per executor); empty for the model embedded in vim4j");
        entry = new Param<>(this, "entry", "state dict of a training checkpoint: model or model_ema",
                ParamValidators.inArray(List.of("model", "model_ema")));
        backend = new Param<>(this, "backend", "kernels: auto (-Dvim4j.backend, else the fastest available), scalar, vector, "
                + "native or cuda", ParamValidators.inArray(List.of("auto", "scalar", "vector", "native", "cuda")));
        threadsPerTask = new IntParam(this, "threadsPerTask", "kernel threads of each task's inference; 0 = spark.task.cpus, "
                + "so an executor's concurrent tasks use its cores once", ParamValidators.gtEq(0));
        precision = new Param<>(this, "precision", "Precision of the linear layers (docs/precision.md): auto (the "
                + "checkpoint's own, else the backend's), fp32, bf16, int8 (CPU backends), or tf32 (fp32 weights on CUDA "
                + "tensor cores)", ParamValidators.inArray(ModelSpec.PRECISIONS));
        batchSize = new IntParam(this, "batchSize", "images per inference, decoded and batched inside each partition",
                ParamValidators.gtEq(1));
        setDefault(inputCol, "content");
        setDefault(errorCol, "error");
        setDefault(weights, "");
        setDefault(entry, "model");
        setDefault(backend, "auto");
        setDefault(threadsPerTask, 0);
        setDefault(precision, "auto");
        setDefault(batchSize, 64);
    }

    static <V> Function1<V, Object> nonEmpty() {
        return new NonEmpty<>();
    }

    /** Serializable (params are copied with the stage). */
    private static final class NonEmpty<V> extends scala.runtime.AbstractFunction1<V, Object> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Object apply(V v) {
            return v != null && !v.toString().isBlank();
        }
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> errorCol() {
        return errorCol;
    }

    public Param<String> weights() {
        return weights;
    }

    public Param<String> entry() {
        return entry;
    }

    public Param<String> backend() {
        return backend;
    }

    public IntParam threadsPerTask() {
        return threadsPerTask;
    }

    public Param<String> precision() {
        return precision;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    public String getErrorCol() {
        return getOrDefault(errorCol);
    }

    public String getWeights() {
        return getOrDefault(weights);
    }

    public String getEntry() {
        return getOrDefault(entry);
    }

    public String getBackend() {
        return getOrDefault(backend);
    }

    public int getThreadsPerTask() {
        return (Integer) getOrDefault(threadsPerTask);
    }

    public String getPrecision() {
        return getOrDefault(precision);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    @SuppressWarnings("unchecked")
    protected final <V> T put(Param<V> p, V value) {
        set(p, value);
        return (T) this;
    }

    /** The column holding the images (default {@code content}, binaryFile's; {@code image} for the image source). */
    public T setInputCol(String v) {
        return put(inputCol, v);
    }

    public T setErrorCol(String v) {
        return put(errorCol, v);
    }

    /** A checkpoint path or URI every executor can read; empty (the default) for the embedded model. */
    public T setWeights(String v) {
        return put(weights, v);
    }

    public T setEntry(String v) {
        return put(entry, v);
    }

    public T setBackend(String v) {
        return put(backend, v);
    }

    public T setThreadsPerTask(int v) {
        return put(threadsPerTask, v);
    }

    public T setPrecision(String v) {
        return put(precision, v);
    }

    public T setBatchSize(int v) {
        return put(batchSize, v);
    }

    /** The output columns this stage appends, the error column excluded. */
    protected abstract List<StructField> outputFields();

    /** What this stage computes per batch and writes per image. */
    protected abstract PartitionRunner.Head head();

    @Override
    public StructType transformSchema(StructType schema) {
        String in = getInputCol();
        if (schema.getFieldIndex(in).isEmpty()) {
            throw new IllegalArgumentException("input column '" + in + "' does not exist; columns: "
                    + Arrays.toString(schema.fieldNames()) + " (set inputCol: content for binaryFile, image for the image source)");
        }
        if (ImageColumn.of(schema.apply(in).dataType()) == null) {
            throw new IllegalArgumentException("input column '" + in + "' is " + schema.apply(in).dataType().simpleString()
                    + "; expected " + ImageColumn.TYPES);
        }
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        List<StructField> out = new ArrayList<>(outputFields());
        out.add(DataTypes.createStructField(getErrorCol(), DataTypes.StringType, true));
        for (StructField f : out) {
            if (schema.getFieldIndex(f.name()).isDefined()) {
                throw new IllegalArgumentException("output column '" + f.name() + "' already exists");
            }
            fields.add(f);
        }
        return new StructType(fields.toArray(new StructField[0]));
    }

    /**
     * The model spec of this stage's params; threads per task default to {@code spark.task.cpus}, so the concurrent
     * tasks of an executor together use its cores once.
     */
    ModelSpec spec(SparkSession spark) {
        int threads = getThreadsPerTask();
        if (threads == 0) {
            threads = Integer.parseInt(spark.conf().get("spark.task.cpus", "1").trim());
        }
        return new ModelSpec(getWeights(), getEntry(), getBackend(), threads, getPrecision());
    }

    /**
     * Fails fast, here on the driver, when the weights are missing or corrupt (the VimException of the load). In local
     * mode the driver is the executor: the model is loaded into the JVM's cache and the tasks reuse it. Otherwise it is
     * loaded on the CPU and closed again, which checks the whole file without keeping it in the driver.
     */
    static void checkWeightsOnDriver(ModelSpec spec, boolean local) {
        if (local) {
            ModelCache.get(spec);
            return;
        }
        try (VimModel m = new ModelSpec(spec.weights(), spec.entry(), "scalar", 1, "fp32").load()) {
            m.labels();
        }
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = dataset.schema();
        StructType out = transformSchema(schema);
        SparkSession spark = dataset.sparkSession();
        ModelSpec spec = spec(spark);
        checkWeightsOnDriver(spec, spark.sparkContext().isLocal());
        int col = schema.fieldIndex(getInputCol());
        ImageColumn kind = ImageColumn.of(schema.apply(col).dataType());
        int pathCol = -1;
        if (kind == ImageColumn.BYTES && schema.getFieldIndex("path").isDefined()
                && schema.apply("path").dataType().equals(DataTypes.StringType)) {
            pathCol = schema.fieldIndex("path"); // binaryFile's: errors name the file
        }
        PartitionRunner runner = new PartitionRunner(spec, kind, col, pathCol, getBatchSize(), head());
        return dataset.toDF().mapPartitions(runner, Encoders.row(out));
    }
}
