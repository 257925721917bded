package org.vim4j.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import org.vim4j.VimException;
import org.vim4j.image.ImageInput;
import org.vim4j.image.Preprocessing;

/**
 * The three kinds of input column a transformer accepts, and how a value of each becomes a model input. Every
 * decoding goes through vim4j's bounded path: the declared size is checked before decoding and only what the
 * preprocessing needs is decoded.
 */
enum ImageColumn {
    /** Encoded file bytes, e.g. the {@code content} column of Spark's {@code binaryFile} source. */
    BYTES,
    /** A path or URI read through Hadoop's FileSystem (e.g. the {@code path} column of {@code binaryFile}). */
    PATH,
    /** A struct of Spark's image data source ({@code origin, height, width, nChannels, mode, data}, BGR order). */
    IMAGE;

    static final String TYPES = "binary (binaryFile's content), string (a path or URI) or the image source's struct "
            + "(origin, height, width, nChannels, mode, data)";

    /** The kind of {@code type}, or null when the transformers cannot read it. */
    static ImageColumn of(DataType type) {
        if (type instanceof BinaryType) {
            return BYTES;
        }
        if (type.equals(DataTypes.StringType)) {
            return PATH;
        }
        if (type instanceof StructType st && has(st, "height", DataTypes.IntegerType) && has(st, "width", DataTypes.IntegerType)
                && has(st, "nChannels", DataTypes.IntegerType) && has(st, "data", DataTypes.BinaryType)) {
            return IMAGE;
        }
        return null;
    }

    private static boolean has(StructType st, String name, DataType type) {
        for (StructField f : st.fields()) {
            if (f.name().equals(name) && f.dataType().equals(type)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The model input of one value ({@code channels x size x size} floats), or a {@link VimException} saying why not.
     * {@code name} identifies the image in messages (its path, when the row has one).
     */
    float[] decode(Object value, String name, Preprocessing p) {
        if (value == null) {
            throw new VimException(name + ": the input value is null");
        }
        return switch (this) {
            case BYTES -> ImageInput.fromBytes((byte[]) value, name, p);
            case PATH -> fromPath((String) value, p);
            case IMAGE -> fromImageStruct((Row) value, name, p);
        };
    }

    /** The row's name for messages: the image struct's origin, else the given path, else a placeholder. */
    String name(Object value, String path) {
        if (this == PATH && value != null) {
            return (String) value;
        }
        if (this == IMAGE && value instanceof Row r) {
            int i = fieldIndex(r, "origin");
            if (i >= 0 && !r.isNullAt(i)) {
                return r.getString(i);
            }
        }
        return path != null ? path : "image";
    }

    private static int fieldIndex(Row r, String name) {
        StructType s = r.schema();
        if (s == null) {
            return -1;
        }
        for (int i = 0; i < s.fields().length; i++) {
            if (s.fields()[i].name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static float[] fromImageStruct(Row r, String name, Preprocessing p) {
        int h = r.getInt(r.fieldIndex("height")), w = r.getInt(r.fieldIndex("width")), c = r.getInt(r.fieldIndex("nChannels"));
        byte[] data = r.isNullAt(r.fieldIndex("data")) ? null : (byte[]) r.get(r.fieldIndex("data"));
        if (h == -1 && w == -1 && c == -1) { // ImageSchema.invalidImageRow: Spark could not decode the file
            throw new VimException(name + ": not an image (Spark's image data source could not decode it)");
        }
        return ImageInput.fromPixels(data, w, h, c, ImageInput.ChannelOrder.BGR, name, p);
    }

    private static volatile Configuration hadoopConf;

    private static float[] fromPath(String path, Preprocessing p) {
        org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(path);
        URI uri = hp.toUri();
        if (uri.getScheme() == null || uri.getScheme().equals("file")) {
            return ImageInput.fromFile(Path.of(uri.getPath()), p);
        }
        Configuration conf = hadoopConf;
        if (conf == null) {
            conf = WeightsFiles.hadoopConf();
            hadoopConf = conf;
        }
        InputStream in;
        try {
            FileSystem fs = hp.getFileSystem(conf);
            in = fs.open(hp);
        } catch (FileNotFoundException e) {
            throw new VimException("image not found: " + path);
        } catch (IOException e) {
            throw new VimException(path + ": cannot open: " + e.getMessage(), e);
        }
        return ImageInput.fromStream(in, path, p);
    }
}
