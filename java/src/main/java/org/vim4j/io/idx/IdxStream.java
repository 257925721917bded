package org.vim4j.io.idx;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import org.vim4j.VimException;

/**
 * An (M)NIST-style IDX image/label pair (gzipped or plain) read one example at a time: memory is one image
 * whatever the count, and a gzip bomb costs only the time of the images actually read. Headers are validated on
 * opening (magic, equal counts, image size at most {@link #MAX_IMAGE_BYTES}); a file that ends early is a
 * {@link VimException} naming it and the example.
 */
public final class IdxStream implements AutoCloseable {
    /** Bytes in one image: far beyond MNIST's 784, small enough that one image is never a problem. */
    public static final int MAX_IMAGE_BYTES = 1 << 24;

    private final Path images;
    private final Path labels;
    private final DataInputStream imageIn;
    private final DataInputStream labelIn;
    private final int count;
    private final int rows;
    private final int cols;
    private int next;

    private IdxStream(Path images, Path labels, DataInputStream imageIn, DataInputStream labelIn, int count, int rows,
            int cols) {
        this.images = images;
        this.labels = labels;
        this.imageIn = imageIn;
        this.labelIn = labelIn;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
    }

    /** The standard file names under {@code dir}: {@code <prefix>-images-idx3-ubyte[.gz]} and labels. */
    public static IdxStream open(Path dir, String prefix) {
        return open(IdxDataset.find(dir, prefix + "-images-idx3-ubyte"), IdxDataset.find(dir, prefix + "-labels-idx1-ubyte"));
    }

    public static IdxStream open(Path images, Path labels) {
        DataInputStream lab = null;
        DataInputStream img = null;
        try {
            lab = IdxDataset.open(labels);
            int magic = header(lab, labels);
            if (magic != IdxDataset.LABELS_MAGIC) {
                throw new VimException(labels + ": not an IDX label file (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000801)");
            }
            int n = header(lab, labels);
            if (n < 0) {
                throw new VimException(labels + ": negative label count " + n);
            }
            img = IdxDataset.open(images);
            magic = header(img, images);
            if (magic != IdxDataset.IMAGES_MAGIC) {
                throw new VimException(images + ": not an IDX image file (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000803)");
            }
            int count = header(img, images), rows = header(img, images), cols = header(img, images);
            if (count != n) {
                throw new VimException(images + ": " + count + " images but " + labels.getFileName() + " has " + n + " labels");
            }
            if (rows <= 0 || cols <= 0 || (long) rows * cols > MAX_IMAGE_BYTES) {
                throw new VimException(images + ": implausible image size " + rows + "x" + cols + " (at most "
                        + MAX_IMAGE_BYTES + " pixels)");
            }
            IdxStream s = new IdxStream(images, labels, img, lab, count, rows, cols);
            img = null;
            lab = null;
            return s;
        } catch (IOException e) {
            throw new VimException(images + ": cannot read IDX files: " + e.getMessage(), e);
        } finally {
            closeQuietly(img);
            closeQuietly(lab);
        }
    }

    private static int header(DataInputStream in, Path p) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new VimException(p + ": truncated IDX header", e);
        }
    }

    public int count() {
        return count;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Examples read so far. */
    public int position() {
        return next;
    }

    /**
     * Reads the next example's {@code rows * cols} pixels into {@code pixels} and returns its label (0-255).
     *
     * @throws VimException if all {@link #count()} examples were read, or a file ends early or cannot be read
     */
    public int next(byte[] pixels) {
        if (next >= count) {
            throw new VimException(images + ": all " + count + " images were read");
        }
        if (pixels.length < rows * cols) {
            throw new IllegalArgumentException("a buffer of " + pixels.length + " bytes for " + rows + "x" + cols + " images");
        }
        int label;
        try {
            label = labelIn.read();
            if (label < 0) {
                throw new VimException(labels + ": truncated IDX file: it ends at label " + next + " of " + count);
            }
            if (imageIn.readNBytes(pixels, 0, rows * cols) != rows * cols) {
                throw new VimException(images + ": truncated IDX file: it ends inside image " + next + " of " + count);
            }
        } catch (IOException e) {
            throw new VimException(images + ": cannot read image " + next + ": " + e.getMessage(), e);
        }
        next++;
        return label;
    }

    @Override
    public void close() {
        closeQuietly(imageIn);
        closeQuietly(labelIn);
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // nothing was written
            }
        }
    }
}
