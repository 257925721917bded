package org.vim4j.io;

import java.lang.foreign.Arena;
import java.nio.file.Path;

import org.vim4j.VimException;
import org.vim4j.tensor.Tensor;

/** TEMPORARY stub: the real reader/writer is being written. */
public final class Npy {
    private Npy() {
    }

    public static Tensor read(Path path, Arena arena) {
        throw new VimException("npy not implemented yet: " + path);
    }

    public static void write(Path path, Tensor t) {
        throw new VimException("npy not implemented yet: " + path);
    }
}
