package org.vim4j.io.idx;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import org.vim4j.VimException;

/**
 * An (M)NIST-style IDX image/label pair (gzipped or plain): {@code count} grayscale {@code rows x cols}
 * images as unsigned bytes, and one label byte per image. Headers are validated before anything is
 * allocated: wrong magic, mismatched counts, absurd sizes and truncated files are clear errors.
 */
public record IdxDataset(int count, int rows, int cols, byte[] pixels, byte[] labels) {
    static final int IMAGES_MAGIC = 0x00000803; // unsigned byte, 3 dimensions
    static final int LABELS_MAGIC = 0x00000801; // unsigned byte, 1 dimension
    static final long MAX_BYTES = 1L << 30;

    public static IdxDataset read(Path images, Path labels) {
        byte[] lab;
        int n;
        try (DataInputStream in = open(labels)) {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) {
                throw new VimException(labels + ": not an IDX label file (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000801)");
            }
            n = in.readInt();
            if (n < 0 || n > MAX_BYTES) {
                throw new VimException(labels + ": implausible label count " + n);
            }
            lab = readExactly(in, n, labels);
        } catch (IOException e) {
            throw new VimException(labels + ": cannot read IDX labels: " + e.getMessage(), e);
        }
        try (DataInputStream in = open(images)) {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) {
                throw new VimException(images + ": not an IDX image file (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000803)");
            }
            int count = in.readInt(), rows = in.readInt(), cols = in.readInt();
            if (count != n) {
                throw new VimException(images + ": " + count + " images but " + labels.getFileName() + " has " + n + " labels");
            }
            if (rows <= 0 || cols <= 0 || (long) count * rows * cols > MAX_BYTES) {
                throw new VimException(images + ": implausible image size " + count + "x" + rows + "x" + cols);
            }
            byte[] px = readExactly(in, count * rows * cols, images);
            return new IdxDataset(count, rows, cols, px, lab);
        } catch (IOException e) {
            throw new VimException(images + ": cannot read IDX images: " + e.getMessage(), e);
        }
    }

    /** The standard file names under {@code dir}: {@code <prefix>-images-idx3-ubyte[.gz]} and labels. */
    public static IdxDataset read(Path dir, String prefix) {
        return read(find(dir, prefix + "-images-idx3-ubyte"), find(dir, prefix + "-labels-idx1-ubyte"));
    }

    static Path find(Path dir, String stem) {
        for (String suffix : new String[] {".gz", ""}) {
            Path p = dir.resolve(stem + suffix);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new VimException("IDX file " + stem + "[.gz] not found in " + dir);
    }

    public int label(int i) {
        return labels[i] & 0xff;
    }

    /** Pixel (r, c) of image i in [0, 255]. */
    public int pixel(int i, int r, int c) {
        return pixels[(i * rows + r) * cols + c] & 0xff;
    }

    static DataInputStream open(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new VimException("IDX file not found: " + p);
        }
        InputStream raw = Files.newInputStream(p);
        try {
            InputStream in = p.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
            return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }

    private static byte[] readExactly(DataInputStream in, int n, Path p) throws IOException {
        byte[] b = in.readNBytes(n); // grows as data arrives: a lying header cannot force a huge allocation
        if (b.length != n) {
            throw new VimException(p + ": truncated IDX file (header promises " + n + " data bytes, found " + b.length + ")");
        }
        return b;
    }
}
