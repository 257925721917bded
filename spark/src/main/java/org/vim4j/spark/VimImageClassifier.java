package org.vim4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

import org.vim4j.VimSession;

/**
 * Classifies images with a Vision Mamba model, as a Spark ML {@link org.apache.spark.ml.Transformer}.
 *
 * <p>Input: the {@code content} column of Spark's {@code binaryFile} source (default), the {@code image} column of its
 * image source, or a string column of paths/URIs. Output columns (any but the error column can be disabled by setting
 * its name to ""): {@code labels} (top-K class names), {@code probabilities} (their softmax probabilities),
 * {@code indices} (their class indices), {@code logits} (all classes) and {@code error}: null for a classified image;
 * for a row that is not a usable image (not an image, empty or corrupt, too large or elongated, a wrong channel count)
 * the outputs are null and the error says why. Rows are never dropped and bad rows never fail the job.
 *
 * <pre>{@code
 * Dataset<Row> files = spark.read().format("binaryFile").load("hdfs:///images/*.jpg");
 * Dataset<Row> out = new VimImageClassifier().setWeights("/models/vim_t_midclstok_76p1acc.pth").setTopK(5).transform(files);
 * }</pre>
 */
public final class VimImageClassifier extends VimTransformer<VimImageClassifier> {
    private static final long serialVersionUID = 1L;

    private final IntParam topK;
    private final Param<String> labelsCol;
    private final Param<String> probabilitiesCol;
    private final Param<String> indicesCol;
    private final Param<String> logitsCol;

    public VimImageClassifier() {
        this(Identifiable.randomUID("vimImageClassifier"));
    }

    public VimImageClassifier(String uid) {
        super(uid);
        topK = new IntParam(this, "topK", "how many of the most probable classes to report", ParamValidators.gtEq(1));
        labelsCol = new Param<>(this, "labelsCol", "output column: top-K class names, most probable first (\"\" = omit)");
        probabilitiesCol = new Param<>(this, "probabilitiesCol", "output column: top-K softmax probabilities (\"\" = omit)");
        indicesCol = new Param<>(this, "indicesCol", "output column: top-K class indices (\"\" = omit)");
        logitsCol = new Param<>(this, "logitsCol", "output column: the logits of every class (\"\" = omit)");
        setDefault(topK, 5);
        setDefault(labelsCol, "labels");
        setDefault(probabilitiesCol, "probabilities");
        setDefault(indicesCol, "indices");
        setDefault(logitsCol, "logits");
    }

    public IntParam topK() {
        return topK;
    }

    public Param<String> labelsCol() {
        return labelsCol;
    }

    public Param<String> probabilitiesCol() {
        return probabilitiesCol;
    }

    public Param<String> indicesCol() {
        return indicesCol;
    }

    public Param<String> logitsCol() {
        return logitsCol;
    }

    public int getTopK() {
        return (Integer) getOrDefault(topK);
    }

    public String getLabelsCol() {
        return getOrDefault(labelsCol);
    }

    public String getProbabilitiesCol() {
        return getOrDefault(probabilitiesCol);
    }

    public String getIndicesCol() {
        return getOrDefault(indicesCol);
    }

    public String getLogitsCol() {
        return getOrDefault(logitsCol);
    }

    public VimImageClassifier setTopK(int v) {
        return put(topK, v);
    }

    public VimImageClassifier setLabelsCol(String v) {
        return put(labelsCol, v);
    }

    public VimImageClassifier setProbabilitiesCol(String v) {
        return put(probabilitiesCol, v);
    }

    public VimImageClassifier setIndicesCol(String v) {
        return put(indicesCol, v);
    }

    public VimImageClassifier setLogitsCol(String v) {
        return put(logitsCol, v);
    }

    @Override
    protected List<StructField> outputFields() {
        List<StructField> f = new ArrayList<>();
        if (!getLabelsCol().isEmpty()) {
            f.add(DataTypes.createStructField(getLabelsCol(), DataTypes.createArrayType(DataTypes.StringType, false), true));
        }
        if (!getProbabilitiesCol().isEmpty()) {
            f.add(DataTypes.createStructField(getProbabilitiesCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true));
        }
        if (!getIndicesCol().isEmpty()) {
            f.add(DataTypes.createStructField(getIndicesCol(), DataTypes.createArrayType(DataTypes.IntegerType, false), true));
        }
        if (!getLogitsCol().isEmpty()) {
            f.add(DataTypes.createStructField(getLogitsCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true));
        }
        return f;
    }

    @Override
    protected PartitionRunner.Head head() {
        return new Head(getTopK(), !getLabelsCol().isEmpty(), !getProbabilitiesCol().isEmpty(), !getIndicesCol().isEmpty(),
                !getLogitsCol().isEmpty());
    }

    private record Head(int k, boolean labels, boolean probabilities, boolean indices, boolean logits)
            implements PartitionRunner.Head {
        @Override
        public int width() {
            return (labels ? 1 : 0) + (probabilities ? 1 : 0) + (indices ? 1 : 0) + (logits ? 1 : 0);
        }

        @Override
        public float[] infer(VimSession session, float[] x, int n, int size) {
            return session.logits(x, n, size, size);
        }

        @Override
        public void emit(ModelCache.Entry model, float[] out, int n, int i, Object[] vals, int at) {
            int classes = out.length / n, off = i * classes;
            int[] top = Outputs.topK(out, off, classes, k);
            if (labels) {
                String[] l = new String[top.length];
                for (int j = 0; j < top.length; j++) {
                    l[j] = model.labels.get(top[j]);
                }
                vals[at++] = l;
            }
            if (probabilities) {
                vals[at++] = Outputs.probabilities(out, off, classes, top);
            }
            if (indices) {
                vals[at++] = top;
            }
            if (logits) {
                vals[at] = Arrays.copyOfRange(out, off, off + classes);
            }
        }
    }

    @Override
    public VimImageClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    public static MLReader<VimImageClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static VimImageClassifier load(String path) {
        return read().load(path);
    }
}
