package org.vim4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both transformers are ML pipeline stages: saved and loaded with their params, alone and inside a pipeline. */
class PipelineRoundTripTest {
    static SparkSession spark;
    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        spark = SparkTests.spark();
        dir = SparkTests.tempDir("vim4j-pipeline");
        Files.createDirectories(dir.resolve("images"));
        for (String ex : List.of("0-tshirt-top", "1-trouser", "5-sandal", "8-bag", "9-ankle-boot")) {
            Files.copy(PipelineRoundTripTest.class.getResourceAsStream("/org/vim4j/examples/" + ex + ".png"),
                    dir.resolve("images/" + ex + ".png"));
        }
        Files.writeString(dir.resolve("images/readme.txt"), "not an image");
    }

    static VimImageClassifier classifier() {
        return new VimImageClassifier().setTopK(3).setBatchSize(2).setLogitsCol("").setLabelsCol("top").setThreadsPerTask(1)
                .setBackend("auto").setEntry("model").setErrorCol("problem");
    }

    static VimFeatureExtractor extractor() {
        return new VimFeatureExtractor().setFeatureKind("tokens").setFeaturesCol("tokens").setBatchSize(4);
    }

    @Test
    void stagesKeepTheirParams() throws Exception {
        VimImageClassifier c = classifier();
        c.write().overwrite().save(dir.resolve("classifier").toString());
        VimImageClassifier c2 = VimImageClassifier.load(dir.resolve("classifier").toString());
        assertEquals(c.uid(), c2.uid());
        assertEquals(c.extractParamMap().toString(), c2.extractParamMap().toString());
        assertEquals(3, c2.getTopK());
        assertEquals("problem", c2.getErrorCol());
        assertEquals("", c2.getLogitsCol());

        VimFeatureExtractor f = extractor();
        f.save(dir.resolve("extractor").toString());
        VimFeatureExtractor f2 = VimFeatureExtractor.load(dir.resolve("extractor").toString());
        assertEquals(f.extractParamMap().toString(), f2.extractParamMap().toString());
        assertEquals("tokens", f2.getFeatureKind());
        assertNotEquals(c.uid(), f.uid());
    }

    @Test
    void aPipelineSavedAndLoadedGivesTheSameRows() throws Exception {
        Dataset<Row> files = spark.read().format("binaryFile").load(dir.resolve("images").toString());
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {classifier(), extractor()});
        PipelineModel model = pipeline.fit(files);
        List<Row> before = model.transform(files).drop("content", "modificationTime").orderBy("path").collectAsList();
        assertEquals(6, before.size());

        pipeline.write().overwrite().save(dir.resolve("pipeline").toString());
        model.write().overwrite().save(dir.resolve("model").toString());
        PipelineModel loaded = PipelineModel.load(dir.resolve("model").toString());
        assertInstanceOf(VimImageClassifier.class, loaded.stages()[0]);
        assertInstanceOf(VimFeatureExtractor.class, loaded.stages()[1]);
        List<Row> after = loaded.transform(files).drop("content", "modificationTime").orderBy("path").collectAsList();
        assertEquals(before.toString(), after.toString());
        PipelineModel refit = Pipeline.load(dir.resolve("pipeline").toString()).fit(files);
        assertEquals(before.toString(), refit.transform(files).drop("content", "modificationTime").orderBy("path").collectAsList()
                .toString());

        Row bag = after.stream().filter(r -> r.getString(0).endsWith("8-bag.png")).findFirst().orElseThrow();
        assertEquals("Bag", bag.getList(bag.fieldIndex("top")).get(0));
        assertEquals(50, bag.getList(bag.fieldIndex("tokens")).size());
        Row text = after.stream().filter(r -> r.getString(0).endsWith("readme.txt")).findFirst().orElseThrow();
        assertNull(text.get(text.fieldIndex("top")));
        assertNull(text.get(text.fieldIndex("tokens")));
        assertTrue(text.getString(text.fieldIndex("problem")).contains("not an image format"), "the classifier's error column");
        assertTrue(text.getString(text.fieldIndex("error")).contains("not an image format"), "the extractor's error column");
    }
}
