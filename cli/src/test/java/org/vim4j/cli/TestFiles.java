package org.vim4j.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

import org.vim4j.io.Fixtures;
import org.vim4j.io.pickle.PickleBuilder;
import org.vim4j.tensor.Tensor;

/**
 * Files the commands under test read, copied out of vim4j-core's jars to real paths: the example images (core's
 * main resources) and the golden fixtures (core's test jar, written by tools/make_golden.py). The commands take
 * paths, and on the classpath these are jar entries or files depending on how far Maven got.
 */
final class TestFiles {
    private TestFiles() {
    }

    /** An example image of the embedded Fashion-MNIST model, copied into {@code dir} under its own name. */
    static Path example(String name, Path dir) throws IOException {
        return copy("/org/vim4j/examples/" + name, dir);
    }

    /** {@code golden/<name>/<file>} for each file, copied into {@code dir/<name>/}; the test is skipped if one is missing. */
    static Path golden(String name, Path dir, String... files) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        for (String f : files) {
            copy("/golden/" + name + "/" + f, d);
        }
        return d;
    }

    /** A resource of vim4j-core's test jar (e.g. {@code /io/hostile/set_copies.pth}) copied into {@code dir}. */
    static Path resource(String resource, Path dir) throws IOException {
        return copy(resource, dir);
    }

    /**
     * {@code tensors} written as torch.save writes a bare state dict (protocol 2, one float32 storage per tensor).
     * A name that UTF-8 cannot hold (a lone surrogate, which a Python str may contain) is written with the UNICODE
     * opcode's escapes, as pickle protocol 0 would.
     */
    static Path pth(Path p, SequencedMap<String, Tensor> tensors) throws IOException {
        PickleBuilder b = new PickleBuilder(2).op('}');
        Map<String, byte[]> storages = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = Integer.toString(i++);
            Tensor t = e.getValue();
            storages.put(key, t.data().toArray(ValueLayout.JAVA_BYTE));
            String name = e.getKey();
            if (name.chars().anyMatch(c -> Character.isSurrogate((char) c))) {
                StringBuilder esc = new StringBuilder();
                name.chars().forEach(c -> esc.append(c < 0x80 && c != '\\' && c != '\n' ? String.valueOf((char) c)
                        : String.format("\\u%04x", c)));
                b.op('V').text(esc + "\n");
            } else {
                b.str(name);
            }
            long[] shape = t.shape();
            long[] stride = new long[shape.length];
            long acc = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                stride[d] = acc;
                acc *= shape[d];
            }
            b.tensor("FloatStorage", key, t.numel(), 0, shape, stride).op('s');
        }
        Files.write(p, Fixtures.torchZip("archive", b.stop(), storages));
        return p;
    }

    private static Path copy(String resource, Path dir) throws IOException {
        try (InputStream in = TestFiles.class.getResourceAsStream(resource)) {
            assumeTrue(in != null, resource + " missing (golden fixtures: run tools/make_golden.py)");
            Path p = Files.createDirectories(dir).resolve(resource.substring(resource.lastIndexOf('/') + 1));
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        }
    }
}
