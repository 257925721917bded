package org.vim4j.image;

import java.io.IOException;
import java.util.Objects;

import javax.imageio.stream.ImageInputStreamImpl;

/** An {@code ImageInputStream} over a byte array, without the copy ImageIO's memory cache would make. */
final class ByteArrayImageInputStream extends ImageInputStreamImpl {
    private final byte[] data;

    ByteArrayImageInputStream(byte[] data) {
        this.data = Objects.requireNonNull(data);
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        return streamPos < data.length ? data[(int) streamPos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkClosed();
        Objects.checkFromIndexSize(off, len, b.length);
        bitOffset = 0;
        if (len == 0) {
            return 0;
        }
        if (streamPos >= data.length) {
            return -1;
        }
        int n = (int) Math.min(len, data.length - streamPos);
        System.arraycopy(data, (int) streamPos, b, off, n);
        streamPos += n;
        return n;
    }

    @Override
    public long length() {
        return data.length;
    }
}
