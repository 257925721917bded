package org.vim4j.io;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

import org.vim4j.VimException;
import org.vim4j.tensor.Tensor;

/**
 * Named tensors read from one checkpoint file, in file order, with the arena that owns their memory
 * (an arena holding copies, or the arena a file was memory-mapped into). Closing it frees them all.
 */
public final class StateDict implements AutoCloseable {
    private final Path source;
    private final Arena owner;
    private final SequencedMap<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    public StateDict(Path source, Arena owner, SequencedMap<String, Tensor> tensors, Map<String, String> metadata) {
        this.source = source;
        this.owner = owner;
        this.tensors = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(tensors));
        this.metadata = Map.copyOf(metadata);
    }

    public Path source() {
        return source;
    }

    /** The arena owning the tensors' memory; a model that keeps these tensors takes ownership of it. */
    public Arena owner() {
        return owner;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public SequencedMap<String, Tensor> tensors() {
        return tensors;
    }

    /** String metadata (safetensors {@code __metadata__}, or facts read from a .pth such as {@code args.input_size}). */
    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public int size() {
        return tensors.size();
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new VimException(source + ": missing tensor '" + name + "'");
        }
        return t;
    }

    /** Frees the tensors' memory; later accesses to them throw IllegalStateException. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            owner.close();
        }
    }
}
