package org.vim4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

import javax.imageio.ImageIO;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;

/**
 * Bad rows never fail the job and are never dropped: files that are not images, empty, corrupt, declared huge,
 * extremely elongated or of a wrong channel count give null outputs and the reason; a large real image is decoded
 * subsampled in bounded memory and classified. Bad weights and params fail at the driver, before any task runs.
 */
class BadRowsSparkTest {
    static SparkSession spark;
    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        spark = SparkTests.spark();
        dir = SparkTests.tempDir("vim4j-bad-rows");
        Files.copy(BadRowsSparkTest.class.getResourceAsStream("/org/vim4j/examples/7-sneaker.png"), dir.resolve("good.png"));
        Files.writeString(dir.resolve("notes.txt"), "not an image\n");
        Files.write(dir.resolve("empty.png"), new byte[0]);
        byte[] good = Files.readAllBytes(dir.resolve("good.png"));
        Files.write(dir.resolve("corrupt.png"), java.util.Arrays.copyOf(good, good.length / 2));
        Files.write(dir.resolve("huge.png"), pngHeader(30_000, 30_000));
        Files.write(dir.resolve("strip.png"), pngHeader(1, 40_000));
        Files.write(dir.resolve("big.png"), flatGrayPng(8000, 8000)); // real pixels: 64 MB decoded whole
        writeFiveChannelTiff(dir.resolve("five.tif"));
    }

    static final Map<String, String> EXPECTED = Map.of(
            "notes.txt", "notes.txt: not an image format",
            "empty.png", "empty.png: empty file (0 bytes)",
            "corrupt.png", "corrupt.png: cannot decode image",
            "huge.png", "image is 30000x30000 = 900000000 pixels, above the limit",
            "strip.png", "image is 1x40000, an aspect ratio of 40000:1",
            "five.tif", "five.tif: wrong channel count: the image has 5 colour channel(s)");

    static Map<String, Row> byName(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows) {
            String p = r.getString(0);
            m.put(p.substring(p.lastIndexOf('/') + 1), r);
        }
        return m;
    }

    /** Checks one row per file; Spark's file sources skip empty files, so with those, empty.png has no row. */
    static void checkRows(Map<String, Row> rows, String what, boolean withEmpty) {
        assertEquals(withEmpty ? 8 : 7, rows.size(), what + ": one row per file: " + rows.keySet());
        for (var e : EXPECTED.entrySet()) {
            if (!withEmpty && e.getKey().equals("empty.png")) {
                continue;
            }
            Row r = rows.get(e.getKey());
            assertNotNull(r, what + " " + e.getKey());
            String error = r.getString(r.fieldIndex("error"));
            assertNotNull(error, what + " " + e.getKey());
            assertTrue(error.contains(e.getValue()), what + " " + e.getKey() + ": " + error);
            assertNull(r.get(r.fieldIndex("labels")), what + " " + e.getKey());
            assertNull(r.get(r.fieldIndex("logits")), what + " " + e.getKey());
        }
        Row good = rows.get("good.png");
        assertNull(good.get(good.fieldIndex("error")), what);
        assertEquals("Sneaker", good.getList(good.fieldIndex("labels")).get(0), what);
        Row big = rows.get("big.png");
        assertNull(big.get(big.fieldIndex("error")), what + ": " + big.get(big.fieldIndex("error")));
        assertEquals(10, big.getList(big.fieldIndex("logits")).size(), what);
    }

    @Test
    void binaryFileRowsKeepEveryFileWithTheReason() {
        Dataset<Row> files = spark.read().format("binaryFile").load(dir.toString());
        assertEquals(7, files.count(), "Spark's binaryFile source skips the empty file itself");
        List<Row> rows = new VimImageClassifier().setBatchSize(3).transform(files).select("path", "labels", "logits", "error")
                .collectAsList();
        checkRows(byName(rows), "binaryFile", false);
    }

    @Test
    void pathRowsKeepEveryFileWithTheReason() {
        Dataset<Row> paths = ImageFiles.list(spark, 3, dir.toString());
        List<Row> rows = new VimImageClassifier().setInputCol("path").transform(paths).select("path", "labels", "logits", "error")
                .collectAsList();
        checkRows(byName(rows), "paths", true);
        List<Row> missing = new VimImageClassifier().setInputCol("path")
                .transform(spark.createDataFrame(List.of(RowFactory.create(dir.resolve("gone.png").toString()), RowFactory.create((Object) null)),
                        new StructType().add("path", DataTypes.StringType)))
                .select("path", "error").collectAsList();
        assertEquals("image not found: " + dir.resolve("gone.png"), missing.get(0).getString(1));
        assertTrue(missing.get(1).getString(1).contains("the input value is null"), missing.get(1).getString(1));
    }

    /** Spark's image source: what it cannot decode arrives as its invalid-image row; pixel data is checked too. */
    @Test
    void imageStructRowsKeepEveryImageWithTheReason() {
        StructType image = new StructType(new StructField[] {
            DataTypes.createStructField("origin", DataTypes.StringType, true),
            DataTypes.createStructField("height", DataTypes.IntegerType, false),
            DataTypes.createStructField("width", DataTypes.IntegerType, false),
            DataTypes.createStructField("nChannels", DataTypes.IntegerType, false),
            DataTypes.createStructField("mode", DataTypes.IntegerType, false),
            DataTypes.createStructField("data", DataTypes.BinaryType, false)});
        StructType schema = new StructType().add("image", image);
        List<Row> in = List.of(
                RowFactory.create(RowFactory.create("file:/a/five.raw", 4, 4, 5, 0, new byte[80])),
                RowFactory.create(RowFactory.create("file:/a/short.raw", 4, 4, 3, 16, new byte[10])),
                RowFactory.create(RowFactory.create("file:/a/invalid.raw", -1, -1, -1, -1, new byte[0])),
                RowFactory.create(RowFactory.create("file:/a/strip.raw", 1, 40_000, 1, 0, new byte[40_000])),
                RowFactory.create(RowFactory.create("file:/a/gray.raw", 28, 28, 1, 0, new byte[784])),
                RowFactory.create(RowFactory.create("file:/a/bgra.raw", 56, 28, 4, 24, new byte[56 * 28 * 4])));
        List<Row> rows = new VimImageClassifier().setInputCol("image").transform(spark.createDataFrame(in, schema))
                .select(col("image.origin"), col("labels"), col("error")).collectAsList();
        Map<String, Row> m = byName(rows);
        assertEquals(6, m.size());
        assertTrue(m.get("five.raw").getString(2).startsWith("file:/a/five.raw: wrong channel count: 5 channels"), m.get("five.raw").getString(2));
        assertTrue(m.get("short.raw").getString(2).contains("10 bytes of pixel data for a 4x4 image of 3 channels"));
        assertTrue(m.get("invalid.raw").getString(2).contains("not an image (Spark's image data source could not decode it)"));
        assertTrue(m.get("strip.raw").getString(2).contains("aspect ratio of 40000:1"));
        for (String ok : List.of("gray.raw", "bgra.raw")) {
            assertNull(m.get(ok).get(2), ok + ": " + m.get(ok).get(2));
            assertEquals(5, m.get(ok).getList(1).size());
        }
    }

    /** Spark's own image source on the same directory: the files it cannot decode become invalid rows, with the reason. */
    @Test
    void theImageSourcesInvalidRowsGetAnError() {
        Dataset<Row> images = spark.read().format("image").option("pathGlobFilter", "*[!g].*").load(dir.toString()); // not big.png
        List<Row> rows = new VimImageClassifier().setInputCol("image").transform(images)
                .select(col("image.origin"), col("labels"), col("error")).collectAsList();
        Map<String, Row> m = byName(rows);
        assertEquals(6, m.size(), "every file but big.png and (skipped by Spark) empty.png: " + m.keySet());
        assertNull(m.get("good.png").get(2));
        for (String bad : List.of("notes.txt", "corrupt.png", "huge.png", "strip.png")) {
            assertNotNull(m.get(bad).get(2), bad);
            assertNull(m.get(bad).get(1), bad);
        }
    }

    @Test
    void missingOrCorruptWeightsFailAtTheDriverWithTheVimExceptionMessage() throws IOException {
        Dataset<Row> files = spark.read().format("binaryFile").load(dir.toString());
        Path missing = dir.resolve("no-such-model.safetensors");
        Path corrupt = Files.write(dir.getParent().resolve("corrupt-" + ProcessHandle.current().pid() + ".safetensors"),
                "definitely not a checkpoint".getBytes());
        try {
            for (Path w : List.of(missing, corrupt)) {
                String api = assertThrows(VimException.class, () -> VimModel.load(w, VimOptions.defaults())).getMessage();
                long jobsBefore = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
                VimException e = assertThrows(VimException.class,
                        () -> new VimImageClassifier().setWeights(w.toString()).transform(files));
                assertEquals(api, e.getMessage());
                assertTrue(e.getMessage().contains(w.getFileName().toString()), e.getMessage());
                assertEquals(jobsBefore, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length, "no job ran");
            }
        } finally {
            Files.deleteIfExists(corrupt);
        }
    }

    @Test
    void badParamsAndColumnsFailAtTheDriver() {
        Dataset<Row> files = spark.read().format("binaryFile").load(dir.toString());
        assertThrows(IllegalArgumentException.class, () -> new VimImageClassifier().setBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> new VimImageClassifier().setBackend("gpu"));
        assertThrows(IllegalArgumentException.class, () -> new VimFeatureExtractor().setFeatureKind("pixels"));
        String m = assertThrows(IllegalArgumentException.class,
                () -> new VimImageClassifier().setInputCol("image").transform(files)).getMessage();
        assertTrue(m.contains("input column 'image' does not exist"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new VimImageClassifier().setInputCol("length").transform(files))
                .getMessage();
        assertTrue(m.contains("input column 'length' is bigint"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new VimImageClassifier().setLabelsCol("path").transform(files))
                .getMessage();
        assertTrue(m.contains("output column 'path' already exists"), m);
        m = assertThrows(VimException.class, () -> new VimImageClassifier().setBackend("vector").setPrecision("tf32").transform(files))
                .getMessage();
        assertTrue(m.contains("precision tf32 needs the cuda backend"), m);
    }

    static byte[] pngHeader(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(new byte[] {8, 0, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        return out.toByteArray();
    }

    /** A valid PNG of w x h zero grey pixels, deflated row by row: ~100 KB on disk. */
    static byte[] flatGrayPng(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(pngHeader(w, h));
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(9))) {
            byte[] row = new byte[w + 1];
            for (int y = 0; y < h; y++) {
                z.write(row);
            }
        }
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] body) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(body.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        d.write(t);
        d.write(body);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(body);
        d.writeInt((int) crc.getValue());
    }

    /** A TIFF whose pixels have five colour channels: ImageIO decodes it; it is neither grey, RGB nor CMYK. */
    static void writeFiveChannelTiff(Path file) throws IOException {
        ColorSpace five = new ColorSpace(ColorSpace.TYPE_5CLR, 5) {
            private static final long serialVersionUID = 1L;

            @Override
            public float[] toRGB(float[] v) {
                return new float[] {v[0], v[0], v[0]};
            }

            @Override
            public float[] fromRGB(float[] v) {
                return new float[5];
            }

            @Override
            public float[] toCIEXYZ(float[] v) {
                return new float[3];
            }

            @Override
            public float[] fromCIEXYZ(float[] v) {
                return new float[5];
            }
        };
        ComponentColorModel cm = new ComponentColorModel(five, new int[] {8, 8, 8, 8, 8}, false, false, Transparency.OPAQUE,
                DataBuffer.TYPE_BYTE);
        BufferedImage img = new BufferedImage(cm, cm.createCompatibleWritableRaster(4, 4), false, null);
        if (!ImageIO.write(img, "tiff", file.toFile())) {
            throw new IOException("no TIFF writer");
        }
    }
}
