package org.vim4j.io.torch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.vim4j.VimException;
import org.vim4j.io.MappedFiles;
import org.vim4j.io.StrictUtf8;

/**
 * The central directory of a zip file that is already memory-mapped, read by hand so that STORED
 * entries can be handed out as zero-copy slices of the mapping (java.util.zip would copy them
 * through the heap).
 *
 * <p>Everything is validated against the file size before use: directory bounds, entry counts,
 * local headers and data ranges. ZIP64 directories and fields are understood (torch writes them
 * for large archives); multi-disk and encrypted archives are refused.
 */
final class ZipDirectory {
    /** One file in the archive; {@code dataOffset} is where its (possibly compressed) bytes start. */
    record Entry(String name, int method, int flags, long crc, long compressedSize, long size, long dataOffset) {
        static final int STORED = 0;
        static final int DEFLATED = 8;

        boolean encrypted() {
            return (flags & 1) != 0;
        }
    }

    private static final int EOCD_SIG = 0x06054b50;
    private static final int EOCD64_LOCATOR_SIG = 0x07064b50;
    private static final int EOCD64_SIG = 0x06064b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int LOCAL_SIG = 0x04034b50;
    private static final int EOCD_SIZE = 22;
    private static final int CENTRAL_SIZE = 46;
    private static final int LOCAL_SIZE = 30;
    /** Far more files than any checkpoint holds (one per storage); bounds the directory walk. */
    static final long MAX_ENTRIES = 10_000_000;

    private final String file;
    private final MemorySegment zip;
    private final SequencedMap<String, Entry> entries;

    private ZipDirectory(String file, MemorySegment zip, SequencedMap<String, Entry> entries) {
        this.file = file;
        this.zip = zip;
        this.entries = Collections.unmodifiableSequencedMap(entries);
    }

    /** Reads and validates the directory of the zip mapped at {@code zip}; {@code file} names it in errors. */
    static ZipDirectory read(String file, MemorySegment zip) {
        return new Reader(file, zip).read();
    }

    SequencedMap<String, Entry> entries() {
        return entries;
    }

    Entry get(String name) {
        return entries.get(name);
    }

    /** The bytes of a STORED entry, as a slice of the mapping (no copy). */
    MemorySegment stored(Entry e, String what) {
        checkReadable(e, what);
        if (e.method() != Entry.STORED) {
            throw new VimException(file + ": " + what + " (zip entry '" + e.name() + "') is compressed (method "
                    + e.method() + "); tensor data must be stored uncompressed, as torch.save writes it");
        }
        if (e.compressedSize() != e.size()) {
            throw new VimException(file + ": zip entry '" + e.name() + "' is stored but its sizes differ ("
                    + e.compressedSize() + " vs " + e.size() + ")");
        }
        return zip.asSlice(e.dataOffset(), e.size());
    }

    /**
     * The bytes of a small entry (STORED: a slice; DEFLATED: inflated onto the heap), at most
     * {@code maxSize} bytes, CRC-checked. Used for data.pkl and short text records, never for tensors.
     */
    MemorySegment small(Entry e, long maxSize, String what) {
        checkReadable(e, what);
        if (e.size() > maxSize) {
            throw new VimException(file + ": " + what + " (zip entry '" + e.name() + "') is " + e.size()
                    + " bytes; vim4j accepts at most " + maxSize);
        }
        MemorySegment data;
        if (e.method() == Entry.STORED) {
            data = stored(e, what);
        } else if (e.method() == Entry.DEFLATED) {
            data = MemorySegment.ofArray(inflate(e, what));
        } else {
            throw new VimException(file + ": " + what + " (zip entry '" + e.name() + "') uses compression method "
                    + e.method() + "; only stored (0) and deflate (8) are supported");
        }
        CRC32 crc = new CRC32();
        crc.update(data.asByteBuffer());
        if (crc.getValue() != e.crc()) {
            throw new VimException(file + ": " + what + " (zip entry '" + e.name() + "') fails its CRC check: expected "
                    + Long.toHexString(e.crc()) + ", got " + Long.toHexString(crc.getValue()) + " (corrupt file)");
        }
        return data;
    }

    /** Deflate cannot expand data more than about 1032:1; a directory that claims more is lying. */
    static final long MAX_DEFLATE_RATIO = 1032;

    private byte[] inflate(Entry e, String what) {
        if (e.size() > e.compressedSize() * MAX_DEFLATE_RATIO + 1024) {
            throw new VimException(file + ": " + what + " (zip entry '" + e.name() + "') claims to inflate " + e.compressedSize()
                    + " bytes to " + e.size() + ", more than deflate can expand (corrupt directory)");
        }
        byte[] out = new byte[(int) e.size()]; // size <= maxSize <= Integer.MAX_VALUE, checked by caller
        Inflater inflater = new Inflater(true);
        try {
            ByteBuffer in = zip.asSlice(e.dataOffset(), e.compressedSize()).asByteBuffer();
            inflater.setInput(in);
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            // One more call distinguishes "exactly size bytes" from "more data than declared".
            boolean more = !inflater.finished() && inflater.inflate(new byte[1]) > 0;
            if (n != out.length || more || !inflater.finished()) {
                throw new VimException(file + ": " + what + " (zip entry '" + e.name() + "') inflates to "
                        + (more ? "more than " : "") + n + " bytes, but the directory says " + e.size());
            }
            return out;
        } catch (DataFormatException ex) {
            throw new VimException(file + ": " + what + " (zip entry '" + e.name() + "') is not valid deflate data: "
                    + ex.getMessage(), ex);
        } finally {
            inflater.end();
        }
    }

    private void checkReadable(Entry e, String what) {
        if (e.encrypted()) {
            throw new VimException(file + ": " + what + " (zip entry '" + e.name() + "') is encrypted");
        }
    }

    /** One pass over the end records and the central directory. */
    private static final class Reader {
        private final String file;
        private final MemorySegment zip;
        private final long size;

        Reader(String file, MemorySegment zip) {
            this.file = file;
            this.zip = zip;
            this.size = zip.byteSize();
        }

        ZipDirectory read() {
            long eocd = findEndOfCentralDirectory();
            long count = MappedFiles.u16(zip, eocd + 10);
            long cdSize = MappedFiles.u32(zip, eocd + 12);
            long cdOffset = MappedFiles.u32(zip, eocd + 16);
            if (MappedFiles.u16(zip, eocd + 4) != 0 || MappedFiles.u16(zip, eocd + 6) != 0) {
                throw corrupt("multi-disk zip archives are not supported");
            }
            long cdLimit = eocd;
            if (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
                long eocd64 = findZip64End(eocd);
                count = zip.get(MappedFiles.I64, eocd64 + 32);
                cdSize = zip.get(MappedFiles.I64, eocd64 + 40);
                cdOffset = zip.get(MappedFiles.I64, eocd64 + 48);
                cdLimit = eocd64;
            }
            if (count < 0 || count > MAX_ENTRIES) {
                throw corrupt("the directory claims " + Long.toUnsignedString(count) + " entries");
            }
            if (cdOffset < 0 || cdSize < 0 || cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
                throw corrupt("central directory [" + cdOffset + ", +" + cdSize + ") lies outside the file (directory must end by byte "
                        + cdLimit + ")");
            }
            if (count * CENTRAL_SIZE > cdSize) {
                throw corrupt("central directory of " + cdSize + " bytes cannot hold " + count + " entries");
            }
            SequencedMap<String, Entry> entries = new LinkedHashMap<>();
            long p = cdOffset;
            long cdEnd = cdOffset + cdSize;
            for (long i = 0; i < count; i++) {
                Entry e = centralEntry(p, cdEnd, cdOffset);
                if (entries.putIfAbsent(e.name(), e) != null) {
                    throw corrupt("duplicate entry '" + e.name() + "'");
                }
                p += CENTRAL_SIZE + MappedFiles.u16(zip, p + 28) + MappedFiles.u16(zip, p + 30) + MappedFiles.u16(zip, p + 32);
            }
            return new ZipDirectory(file, zip, entries);
        }

        private long findEndOfCentralDirectory() {
            if (size < EOCD_SIZE) {
                throw corrupt("file of " + size + " bytes is too short to be a zip archive");
            }
            long lowest = Math.max(0, size - EOCD_SIZE - 0xffff);
            for (long p = size - EOCD_SIZE; p >= lowest; p--) {
                // The comment must run exactly to the end of the file: this rejects stray signature
                // bytes inside data, and a file cut short loses its true end record.
                if (zip.get(MappedFiles.I32, p) == EOCD_SIG && p + EOCD_SIZE + MappedFiles.u16(zip, p + 20) == size) {
                    return p;
                }
            }
            throw corrupt("end of central directory record not found (truncated or not a zip archive)");
        }

        private long findZip64End(long eocd) {
            long locator = eocd - 20;
            if (locator < 0 || zip.get(MappedFiles.I32, locator) != EOCD64_LOCATOR_SIG) {
                throw corrupt("ZIP64 end-of-directory locator missing");
            }
            long eocd64 = zip.get(MappedFiles.I64, locator + 8);
            if (eocd64 < 0 || eocd64 > locator - 56 || zip.get(MappedFiles.I32, eocd64) != EOCD64_SIG) {
                throw corrupt("ZIP64 end-of-directory record not found at " + eocd64);
            }
            return eocd64;
        }

        private Entry centralEntry(long p, long cdEnd, long cdOffset) {
            if (p > cdEnd - CENTRAL_SIZE || zip.get(MappedFiles.I32, p) != CENTRAL_SIG) {
                throw corrupt("bad central directory header at offset " + p);
            }
            int flags = MappedFiles.u16(zip, p + 8);
            int method = MappedFiles.u16(zip, p + 10);
            long crc = MappedFiles.u32(zip, p + 16);
            long compressed = MappedFiles.u32(zip, p + 20);
            long uncompressed = MappedFiles.u32(zip, p + 24);
            int nameLen = MappedFiles.u16(zip, p + 28);
            int extraLen = MappedFiles.u16(zip, p + 30);
            int commentLen = MappedFiles.u16(zip, p + 32);
            int disk = MappedFiles.u16(zip, p + 34);
            long local = MappedFiles.u32(zip, p + 42);
            if (p + CENTRAL_SIZE + nameLen + extraLen + commentLen > cdEnd) {
                throw corrupt("central directory header at offset " + p + " runs past the directory");
            }
            MemorySegment nameBytes = zip.asSlice(p + CENTRAL_SIZE, nameLen);
            String name = decodeName(nameBytes);
            // ZIP64: a field saturated at 0xffffffff is stored in the 0x0001 extra block, in this order.
            long extra = p + CENTRAL_SIZE + nameLen;
            long extraEnd = extra + extraLen;
            while (extra + 4 <= extraEnd) {
                int id = MappedFiles.u16(zip, extra);
                int len = MappedFiles.u16(zip, extra + 2);
                if (extra + 4 + len > extraEnd) {
                    throw corrupt("extra field of entry '" + name + "' runs past its header");
                }
                if (id == 0x0001) {
                    long q = extra + 4;
                    long qEnd = q + len;
                    if (uncompressed == 0xffffffffL) {
                        uncompressed = zip64Field(q, qEnd, name);
                        q += 8;
                    }
                    if (compressed == 0xffffffffL) {
                        compressed = zip64Field(q, qEnd, name);
                        q += 8;
                    }
                    if (local == 0xffffffffL) {
                        local = zip64Field(q, qEnd, name);
                    }
                }
                extra += 4 + len;
            }
            if (disk != 0 && disk != 0xffff) {
                throw corrupt("entry '" + name + "' lies on disk " + disk + "; multi-disk archives are not supported");
            }
            if (compressed < 0 || uncompressed < 0 || local < 0) {
                throw corrupt("entry '" + name + "' has sizes or offset beyond 2^63");
            }
            long data = localData(name, nameBytes, local, cdOffset);
            if (compressed > cdOffset - data) {
                throw corrupt("entry '" + name + "' data [" + data + ", +" + compressed
                        + ") runs past the start of the central directory at " + cdOffset);
            }
            return new Entry(name, method, flags, crc, compressed, uncompressed, data);
        }

        private long zip64Field(long q, long qEnd, String name) {
            if (q + 8 > qEnd) {
                throw corrupt("ZIP64 extra field of entry '" + name + "' is too short");
            }
            return zip.get(MappedFiles.I64, q);
        }

        /** Where an entry's data begins: after its local header, whose name and extra lengths may differ from the central ones. */
        private long localData(String name, MemorySegment nameBytes, long local, long cdOffset) {
            if (local > cdOffset - LOCAL_SIZE) {
                throw corrupt("entry '" + name + "' has its local header at " + local + ", outside the file's data area (which ends at "
                        + cdOffset + ")");
            }
            if (zip.get(MappedFiles.I32, local) != LOCAL_SIG) {
                throw corrupt("entry '" + name + "': no local header at offset " + local);
            }
            int nameLen = MappedFiles.u16(zip, local + 26);
            int extraLen = MappedFiles.u16(zip, local + 28);
            long data = local + LOCAL_SIZE + nameLen + extraLen;
            if (data > cdOffset) {
                throw corrupt("entry '" + name + "': local header at " + local + " runs into the central directory");
            }
            MemorySegment localName = zip.asSlice(local + LOCAL_SIZE, nameLen);
            if (nameLen != nameBytes.byteSize() || nameBytes.mismatch(localName) != -1) {
                throw corrupt("entry '" + name + "': local header names '" + decodeName(localName) + "'");
            }
            return data;
        }

        private static String decodeName(MemorySegment bytes) {
            byte[] b = bytes.toArray(ValueLayout.JAVA_BYTE);
            String name = StrictUtf8.decodeOrNull(b);
            // Not UTF-8: the zip default (CP437) differs from Latin-1 only above 0x7f, which
            // torch never writes; Latin-1 keeps the name printable for error messages.
            return name != null ? name : new String(b, StandardCharsets.ISO_8859_1);
        }

        private VimException corrupt(String what) {
            return new VimException(file + ": not a valid zip archive: " + what);
        }
    }
}
