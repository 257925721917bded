package org.vim4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import org.vim4j.io.json.Json;

/** Test support: fixture paths, expected-value files, and builders for hand-made zips. */
public final class Fixtures {
    private Fixtures() {
    }

    /** A file under src/test/resources/io/ (written by tools/make_io_fixtures.py). */
    public static Path path(String relative) {
        URL url = Fixtures.class.getResource("/io/" + relative);
        if (url == null) {
            throw new IllegalStateException("missing fixture io/" + relative + " (run tools/make_io_fixtures.py)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The parsed {@code <name>.expected.json} next to a fixture. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> expected(String relative) {
        try {
            return (Map<String, Object>) Json.parse(Files.readString(path(relative)), relative);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static long[] longs(Object jsonList) {
        List<?> l = (List<?>) jsonList;
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = ((Number) l.get(i)).longValue();
        }
        return r;
    }

    public static float[] floats(Object jsonList) {
        List<?> l = (List<?>) jsonList;
        float[] r = new float[l.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) ((Number) l.get(i)).doubleValue();
        }
        return r;
    }

    /** A zip with the given entries, all STORED, in order (java.util.zip needs sizes and CRC up front for that). */
    public static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                z.setMethod(ZipEntry.STORED);
                z.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                z.setCrc(crc.getValue());
                z.setTime(0);
                out.putNextEntry(z);
                out.write(e.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A zip laid out like torch.save's: {@code prefix/data.pkl}, {@code prefix/data/<key>}, {@code prefix/version}. */
    public static byte[] torchZip(String prefix, byte[] pickle, Map<String, byte[]> storages) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(prefix + "/data.pkl", pickle);
        storages.forEach((k, v) -> entries.put(prefix + "/data/" + k, v));
        entries.put(prefix + "/version", "3\n".getBytes());
        return zip(entries);
    }

    /** All entries of a fixture zip, read with java.util.zip (to re-package them with a change). */
    public static Map<String, byte[]> entries(Path zip) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : z.stream().toList()) {
                out.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static Path write(Path dir, String name, byte[] content) {
        try {
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** float32 values as little-endian bytes. */
    public static byte[] f32(float... values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
