package org.vim4j.io.safetensors;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.SequencedMap;
import java.util.TreeMap;

import org.vim4j.VimException;
import org.vim4j.io.AtomicFiles;
import org.vim4j.io.StateDict;
import org.vim4j.io.json.Json;
import org.vim4j.tensor.Tensor;

/**
 * Writes tensors and string metadata as a {@code .safetensors} file that the reference
 * implementation (and {@link SafetensorsReader}) reads: tensors are laid out back to back in the
 * given order with no gaps, the JSON header is padded with spaces so the data section starts at a
 * multiple of 8 bytes, and the file appears under its name only once complete.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    /** Writes {@code stateDict}'s tensors and metadata. */
    public static void write(Path path, StateDict stateDict) {
        write(path, stateDict.tensors(), stateDict.metadata());
    }

    /**
     * @param tensors tensors in the order to store them (any {@link org.vim4j.tensor.DType}; bytes are written as stored)
     * @param metadata string pairs for {@code __metadata__} (omitted when empty), written in key order
     * @throws VimException if a name is {@code __metadata__}, a name or metadata string cannot be written as UTF-8
     *         faithfully (a lone surrogate, which Python's str may hold), or the file cannot be written
     */
    public static void write(Path path, SequencedMap<String, Tensor> tensors, Map<String, String> metadata) {
        byte[] header = header(path, tensors, metadata);
        AtomicFiles.write(path, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            AtomicFiles.writeFully(ch, len);
            AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
            for (Tensor t : tensors.values()) {
                AtomicFiles.writeSegment(ch, t.data());
            }
        });
    }

    /**
     * Refuses text that UTF-8 cannot hold: an unpaired surrogate would be written as '?', so the file would name
     * a different tensor (or two tensors alike) and could not round-trip.
     */
    private static void requireUnicode(Path path, String what, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new VimException(path + ": cannot write " + what + " " + Json.quote(SafetensorsReader.abbreviate(
                        s.replace(c, '?'))) + ": it holds a lone surrogate U+" + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
                        + " at character " + i + ", which UTF-8 cannot encode (the name would not round-trip)");
            }
        }
    }

    private static byte[] header(Path path, SequencedMap<String, Tensor> tensors, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            json.append(Json.quote(SafetensorsReader.METADATA_KEY)).append(":{");
            String sep = "";
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                requireUnicode(path, "metadata key", e.getKey());
                requireUnicode(path, "metadata value of '" + SafetensorsReader.abbreviate(e.getKey()) + "'", e.getValue());
                json.append(sep).append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                sep = ",";
            }
            json.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals(SafetensorsReader.METADATA_KEY)) {
                throw new VimException(path + ": a tensor may not be named " + SafetensorsReader.METADATA_KEY);
            }
            requireUnicode(path, "tensor name", e.getKey());
            Tensor t = e.getValue();
            long bytes = t.data().byteSize();
            if (json.length() > 1) {
                json.append(',');
            }
            json.append(Json.quote(e.getKey())).append(":{\"dtype\":\"").append(t.dtype().name()).append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                json.append(i > 0 ? "," : "").append(shape[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        json.append('}');
        byte[] raw = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) / 8 * 8; // 8 + padded is then a multiple of 8
        if (padded > SafetensorsReader.MAX_HEADER_BYTES) {
            throw new VimException(path + ": safetensors header of " + padded + " bytes exceeds the format's limit");
        }
        byte[] out = new byte[padded];
        System.arraycopy(raw, 0, out, 0, raw.length);
        for (int i = raw.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }
}
