package org.vim4j.io.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import org.vim4j.VimException;
import org.vim4j.io.MappedFiles;
import org.vim4j.io.StateDict;
import org.vim4j.io.safetensors.SafetensorsReader;
import org.vim4j.io.torch.PthReader;

/**
 * The one entry point for weight files: looks at the first bytes and hands the file to
 * {@link PthReader} or {@link SafetensorsReader}.
 *
 * <ul>
 *   <li>{@code PK\3\4} (or an empty zip's {@code PK\5\6}): a torch.save zip checkpoint;</li>
 *   <li>an 8-byte little-endian length followed by <code>'&#123;'</code>: safetensors;</li>
 *   <li>{@code 0x80} (a pickle PROTO opcode): the legacy pre-1.6 torch format, refused with advice;</li>
 *   <li>anything else: refused, quoting the first bytes.</li>
 * </ul>
 */
public final class CheckpointReader {
    /** Weight file formats vim4j recognises. */
    public enum Format {
        /** torch.save zip (torch &gt;= 1.6): readable. */
        PYTORCH_ZIP,
        /** safetensors: readable. */
        SAFETENSORS,
        /** torch.save before 1.6 (a bare pickle stream): recognised only to explain that it is unsupported. */
        PYTORCH_LEGACY
    }

    private CheckpointReader() {
    }

    /**
     * The format of {@code path}, from its first bytes.
     *
     * @throws VimException if the file is missing or is none of the formats
     */
    public static Format detect(Path path) {
        byte[] head = MappedFiles.head(path, 16);
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K'
                && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
            return Format.PYTORCH_ZIP;
        }
        if (head.length >= 9 && head[8] == '{'
                && ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong(0) > 0) {
            return Format.SAFETENSORS;
        }
        if (head.length >= 1 && (head[0] & 0xff) == 0x80) {
            return Format.PYTORCH_LEGACY;
        }
        throw new VimException("not a PyTorch checkpoint or safetensors file: " + path
                + (head.length == 0 ? " (the file is empty)" : " (first bytes " + MappedFiles.hex(head) + ")"));
    }

    /** Same as {@link #read(Path, String) read(path, null)}. */
    public static StateDict read(Path path) {
        return read(path, null);
    }

    /**
     * Reads the weights of a .pth or .safetensors file.
     *
     * @param entry for .pth files, which dict to use (see {@link PthReader}); null selects automatically.
     *        A safetensors file holds one state dict, so only null or {@code "model"} is accepted for it.
     * @throws VimException if the file is missing, of an unsupported format, or invalid
     */
    public static StateDict read(Path path, String entry) {
        return switch (detect(path)) {
            case PYTORCH_ZIP -> PthReader.read(path, entry);
            case SAFETENSORS -> {
                if (entry != null && !entry.equals(PthReader.DEFAULT_ENTRY)) {
                    throw new VimException(path + ": a safetensors file holds a single state dict; entry '" + entry
                            + "' applies only to .pth checkpoints");
                }
                yield SafetensorsReader.read(path);
            }
            case PYTORCH_LEGACY -> throw new VimException(path + ": legacy torch serialization is not supported; "
                    + "re-save with torch>=1.6 default zip format");
        };
    }
}
