package org.vim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.GoldenParityTest;
import org.vim4j.io.npy.Npy;
import org.vim4j.tensor.Tensor;

/** {@code vim4j infer}: the .npy interop contract, and one-line errors with a non-zero exit. */
class InferCommandTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
    }

    static Result cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void writesLogitsClsAndTokensMatchingTheReference() throws Exception {
        Path dir = TestFiles.golden("overlap", tmp, "model.safetensors", "input.npy", "logits.npy", "cls.npy", "tokens.npy");
        for (String kind : new String[] {"logits", "cls", "tokens"}) {
            Path out = tmp.resolve(kind + ".npy");
            Result r = cli("infer", "--weights", dir.resolve("model.safetensors").toString(), "--input",
                    dir.resolve("input.npy").toString(), "--output", out.toString(), "--output-kind", kind,
                    "--backend", "vector", "--image-size", "18", "--stride", "3");
            assertEquals(0, r.code(), r.err());
            try (Arena a = Arena.ofConfined()) {
                Tensor got = Npy.read(out, a);
                Tensor want = Npy.read(dir.resolve(kind + ".npy"), a);
                assertEquals(java.util.Arrays.toString(want.shape()), java.util.Arrays.toString(got.shape()));
                GoldenParityTest.compare("infer " + kind, want.toFloatArray(), got.toFloatArray(), 1f, 1e-4f);
            }
        }
    }

    @Test
    void errorsAreOneLineWithANonZeroExit() throws Exception {
        Path missing = tmp.resolve("nope.pth");
        Result r = cli("infer", "--weights", missing.toString(), "--input", missing.toString(), "--output",
                tmp.resolve("o.npy").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nope.pth"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");

        Path notACheckpoint = Files.writeString(tmp.resolve("text.pth"), "hello, not a checkpoint");
        Path input = TestFiles.golden("tiny", tmp, "input.npy").resolve("input.npy");
        r = cli("infer", "--weights", notACheckpoint.toString(), "--input", input.toString(), "--output",
                tmp.resolve("o.npy").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("text.pth"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        r = cli("infer", "--weights", notACheckpoint.toString(), "--input", missing.toString(), "--output", "o.npy",
                "--output-kind", "pixels");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--output-kind 'pixels'"), r.err());
    }
}
