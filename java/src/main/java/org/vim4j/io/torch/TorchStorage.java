package org.vim4j.io.torch;

import java.lang.foreign.MemorySegment;

import org.vim4j.VimException;
import org.vim4j.io.pickle.PickleStorage;
import org.vim4j.tensor.DType;

/**
 * One torch storage: a zip entry {@code <prefix>/data/<key>} of raw little-endian elements, as a
 * persistent id {@code ('storage', torch.XStorage, key, location, numel)} declares it.
 * Its bytes are checked only when a tensor that uses it is materialised, so a damaged storage in
 * an entry nobody reads (say, optimizer state) does not stop the weights from loading.
 *
 * @param file the checkpoint, for messages
 * @param key the storage key (the zip entry's file name)
 * @param type the storage class as written, e.g. {@code torch.FloatStorage}
 * @param dtype its element type
 * @param numel the element count the persistent id declares
 * @param entry the zip entry holding the bytes
 * @param zip the archive, to slice the entry from
 */
record TorchStorage(String file, String key, String type, DType dtype, long numel, ZipDirectory.Entry entry,
        ZipDirectory zip) implements PickleStorage {

    /** The storage's bytes: a zero-copy slice of the mapped file, exactly {@code numel * elementSize} long. */
    MemorySegment bytes() {
        MemorySegment data = zip.stored(entry, "storage '" + key + "'");
        long expected;
        try {
            expected = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new VimException(file + ": storage '" + key + "' declares " + numel + " elements, which overflows");
        }
        if (data.byteSize() != expected) {
            throw new VimException(file + ": storage '" + key + "' (" + type + ") declares " + numel + " elements = "
                    + expected + " bytes, but zip entry '" + entry.name() + "' holds " + data.byteSize() + " bytes");
        }
        return data;
    }
}
