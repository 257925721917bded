package org.vim4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.image.ImageInput;

/** {@code vim4j spark-classify}: one row per file (path, label, probability, error) as Parquet or CSV, progress on stderr. */
class SparkClassifyTest {
    static SparkSession spark;
    static Path dir;
    static final String[] EXAMPLES = {"0-tshirt-top", "1-trouser", "2-pullover", "3-dress", "4-coat", "5-sandal", "6-shirt",
        "7-sneaker", "8-bag", "9-ankle-boot"};

    @BeforeAll
    static void setUp() throws Exception {
        spark = SparkTests.spark();
        dir = SparkTests.tempDir("vim4j-spark-classify");
        Files.createDirectories(dir.resolve("in/sub dir"));
        for (int i = 0; i < EXAMPLES.length; i++) {
            Path to = dir.resolve(i % 2 == 0 ? "in" : "in/sub dir").resolve(EXAMPLES[i] + ".png");
            Files.copy(SparkClassifyTest.class.getResourceAsStream("/org/vim4j/examples/" + EXAMPLES[i] + ".png"), to);
        }
        Files.write(dir.resolve("in/empty.png"), new byte[0]);
        Files.writeString(dir.resolve("in/sub dir/notes.txt"), "no image here");
    }

    record Run(int code, String out, String err) {
    }

    static synchronized Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = SparkClassify.run(spark, args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** The API's top-1 label and probability of each example. */
    static Map<String, Object[]> apiAnswers() throws Exception {
        Map<String, Object[]> m = new HashMap<>();
        try (VimModel model = VimModel.loadDefault(VimOptions.defaults()); VimSession s = model.newSession()) {
            for (int i = 0; i < EXAMPLES.length; i++) {
                String ex = EXAMPLES[i];
                Path p = dir.resolve(i % 2 == 0 ? "in" : "in/sub dir").resolve(ex + ".png"); // the copies setUp made
                float[] logits = s.logits(ImageInput.fromFile(p, model.preprocessing()), 1, 28, 28);
                int[] top = Outputs.topK(logits, 0, logits.length, 1);
                m.put(ex + ".png", new Object[] {model.labels().get(top[0]), Outputs.probabilities(logits, 0, logits.length, top)[0]});
            }
        }
        return m;
    }

    @Test
    void writesOneRowPerFileAsParquetAndCsv() throws Exception {
        Map<String, Object[]> api = apiAnswers();
        for (String format : List.of("parquet", "csv")) {
            Path out = dir.resolve("out-" + format);
            boolean replace = format.equals("csv"); // and --overwrite replaces an existing output
            if (replace) {
                Files.createDirectories(out.resolve("old"));
            }
            Run r = replace
                    ? run("--input", dir.resolve("in").toString(), "--output", out.toString(), "--format", format, "--batch", "4", "--overwrite")
                    : run("--input", dir.resolve("in").toString(), "--output", out.toString(), "--format", format, "--batch", "4");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("12 images (2 errors) in "), r.out());
            assertTrue(r.err().contains("spark-classify: 12 files under") && r.err().contains("spark-classify: 12/12 images (100%)"),
                    r.err());
            List<Row> rows = spark.read().format(format).option("header", "true").load(out.toString()).collectAsList();
            assertEquals(12, rows.size());
            assertEquals(List.of("path", "label", "probability", "error"), List.of(rows.get(0).schema().fieldNames()));
            for (Row row : rows) {
                String path = row.getString(0), name = path.substring(path.lastIndexOf('/') + 1);
                if (name.equals("empty.png")) {
                    assertTrue(row.getString(3).contains("empty.png: empty file (0 bytes)"), row.getString(3));
                    assertNull(row.get(1));
                } else if (name.equals("notes.txt")) {
                    assertTrue(row.getString(3).contains("sub dir/notes.txt: not an image format"), row.getString(3));
                    assertNull(row.get(2));
                } else {
                    assertNull(row.get(3), path);
                    assertEquals(api.get(name)[0], row.getString(1), path);
                    float p = format.equals("csv") ? Float.parseFloat(row.getString(2)) : row.getFloat(2);
                    assertEquals((Float) api.get(name)[1], p, path);
                }
            }
        }
    }

    @Test
    void errorsAreOneLineAndExitCode2() {
        Path out = dir.resolve("out-err");
        Run r = run("--input", dir.resolve("nowhere").toString(), "--output", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("vim4j spark-classify: error: ") && r.err().contains("nowhere"), r.err());
        r = run("--input", dir.resolve("in").toString(), "--output", out.toString(), "--weights", dir.resolve("w.pth").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("w.pth"), r.err());
        r = run("--input", dir.resolve("in").toString(), "--output", out.toString(), "--format", "json");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--format must be parquet or csv"), r.err());
        Run ok = run("--input", dir.resolve("in").toString(), "--output", out.toString(), "--json");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().startsWith("{\"images\":12,\"errors\":2,"), ok.out());
        r = run("--input", dir.resolve("in").toString(), "--output", out.toString());
        assertEquals(2, r.code(), "an existing output is kept unless --overwrite");
        assertTrue(r.err().contains("already exists"), r.err());
    }
}
