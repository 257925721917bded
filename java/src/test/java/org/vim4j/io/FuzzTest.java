package org.vim4j.io;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.io.checkpoint.CheckpointReader;
import org.vim4j.VimException;
import org.vim4j.io.npy.Npy;
import org.vim4j.io.safetensors.SafetensorsReader;
import org.vim4j.io.torch.PthReader;

/**
 * Seeded random corruption of real fixtures. Every input must either load or fail with a
 * {@link VimException}: no other exception, no Error (OOM, stack overflow), no hang.
 */
class FuzzTest {
    private static final int ROUNDS = Integer.getInteger("fuzz.rounds", 300);

    @TempDir
    Path tmp;

    private static byte[] mutate(byte[] in, Random r, int from) {
        byte[] b = in.clone();
        switch (r.nextInt(4)) {
            case 0 -> b = Arrays.copyOf(b, from + r.nextInt(b.length - from)); // truncate
            case 1 -> {
                int n = 1 + r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    b[from + r.nextInt(b.length - from)] = (byte) r.nextInt(256);
                }
            }
            case 2 -> {
                int at = from + r.nextInt(b.length - from); // a plausible "big number" lie
                for (int i = at; i < Math.min(b.length, at + 4); i++) {
                    b[i] = (byte) (r.nextBoolean() ? 0xff : 0x7f);
                }
            }
            default -> {
                int at = from + r.nextInt(b.length - from); // duplicate a run of bytes
                int len = Math.min(b.length - at, 1 + r.nextInt(16));
                byte[] c = new byte[b.length + len];
                System.arraycopy(b, 0, c, 0, at + len);
                System.arraycopy(b, at, c, at + len, b.length - at);
                b = c;
            }
        }
        return b;
    }

    private void run(String what, long seed, byte[] original, int from, String suffix, Consumer<Path> reader) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Random r = new Random(seed);
            for (int i = 0; i < ROUNDS; i++) {
                byte[] bad = mutate(original, r, from);
                Path p = Fixtures.write(tmp, what + i + suffix, bad);
                try {
                    reader.accept(p);
                } catch (VimException expected) {
                    // fine: a clear refusal
                } catch (Throwable t) {
                    fail(what + " round " + i + ": " + t, t);
                }
                Files.delete(p);
            }
        });
    }

    @Test
    void corruptedPicklesInsideValidZips() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(Fixtures.path("pth/checkpoint.pth"));
        byte[] pkl = entries.get("checkpoint/data.pkl");
        Random r = new Random(Long.getLong("fuzz.seed", 42));
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < ROUNDS; i++) {
                entries.put("checkpoint/data.pkl", mutate(pkl, r, 2));
                Path p = Fixtures.write(tmp, "p" + i + ".pth", Fixtures.zip(entries)); // valid CRC: the pickle itself is parsed
                for (String entry : new String[] {null, "model_ema"}) {
                    try {
                        PthReader.read(p, entry).close();
                    } catch (VimException expected) {
                        // fine
                    } catch (Throwable t) {
                        fail("pickle round " + i + ": " + t, t);
                    }
                }
                Files.delete(p);
            }
        });
    }

    @Test
    void corruptedZips() throws IOException {
        byte[] zip = Files.readAllBytes(Fixtures.path("pth/views.pth"));
        run("z", 7, zip, 0, ".pth", p -> CheckpointReader.read(p).close());
    }

    @Test
    void corruptedSafetensors() throws IOException {
        byte[] st = Files.readAllBytes(Fixtures.path("safetensors/handmade.safetensors"));
        run("s", 11, st, 0, ".safetensors", p -> SafetensorsReader.read(p).close());
    }

    @Test
    void corruptedNpy() throws IOException {
        byte[] npy = Files.readAllBytes(Fixtures.path("npy/f32_2x3x4.npy"));
        run("n", 13, npy, 0, ".npy", p -> {
            try (Arena arena = Arena.ofConfined()) {
                Npy.read(p, arena);
            }
        });
    }
}
