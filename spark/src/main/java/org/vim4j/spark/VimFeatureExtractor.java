package org.vim4j.spark;

import java.util.Arrays;
import java.util.List;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

import org.vim4j.VimSession;

/**
 * Image features of a Vision Mamba model, as a Spark ML {@link org.apache.spark.ml.Transformer}: the final-normed class
 * token ({@code featureKind = cls}, {@code array<float>} of D) or every final-normed token ({@code tokens},
 * {@code array<array<float>>} of L x D, the class token at (L - 1) / 2), plus the error column. Inputs, bad rows and params as
 * {@link VimImageClassifier}.
 */
public final class VimFeatureExtractor extends VimTransformer<VimFeatureExtractor> {
    private static final long serialVersionUID = 1L;

    private final Param<String> featureKind;
    private final Param<String> featuresCol;

    public VimFeatureExtractor() {
        this(Identifiable.randomUID("vimFeatureExtractor"));
    }

    public VimFeatureExtractor(String uid) {
        super(uid);
        featureKind = new Param<>(this, "featureKind", "cls (the class token, D floats) or tokens (all L tokens, L x D)",
                ParamValidators.inArray(List.of("cls", "tokens")));
        featuresCol = new Param<>(this, "featuresCol", "output column of the features", VimTransformer.nonEmpty());
        setDefault(featureKind, "cls");
        setDefault(featuresCol, "features");
    }

    public Param<String> featureKind() {
        return featureKind;
    }

    public Param<String> featuresCol() {
        return featuresCol;
    }

    public String getFeatureKind() {
        return getOrDefault(featureKind);
    }

    public String getFeaturesCol() {
        return getOrDefault(featuresCol);
    }

    public VimFeatureExtractor setFeatureKind(String v) {
        return put(featureKind, v);
    }

    public VimFeatureExtractor setFeaturesCol(String v) {
        return put(featuresCol, v);
    }

    @Override
    protected List<StructField> outputFields() {
        DataType vector = DataTypes.createArrayType(DataTypes.FloatType, false);
        DataType type = getFeatureKind().equals("tokens") ? DataTypes.createArrayType(vector, false) : vector;
        return List.of(DataTypes.createStructField(getFeaturesCol(), type, true));
    }

    @Override
    protected PartitionRunner.Head head() {
        return new Head(getFeatureKind().equals("tokens"));
    }

    private record Head(boolean tokens) implements PartitionRunner.Head {
        @Override
        public int width() {
            return 1;
        }

        @Override
        public float[] infer(VimSession session, float[] x, int n, int size) {
            return tokens ? session.tokenFeatures(x, n, size, size) : session.classFeatures(x, n, size, size);
        }

        @Override
        public void emit(ModelCache.Entry model, float[] out, int n, int i, Object[] vals, int at) {
            int per = out.length / n, off = i * per;
            if (!tokens) {
                vals[at] = Arrays.copyOfRange(out, off, off + per);
                return;
            }
            int d = model.featureDim(), l = per / d;
            float[][] t = new float[l][];
            for (int j = 0; j < l; j++) {
                t[j] = Arrays.copyOfRange(out, off + j * d, off + (j + 1) * d);
            }
            vals[at] = t;
        }
    }

    @Override
    public VimFeatureExtractor copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    public static MLReader<VimFeatureExtractor> read() {
        return new DefaultParamsReader<>();
    }

    public static VimFeatureExtractor load(String path) {
        return read().load(path);
    }
}
