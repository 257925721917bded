package org.vim4j.io.pickle;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.vim4j.VimException;
import org.vim4j.io.checkpoint.CheckpointReader;
import org.vim4j.io.Fixtures;
import org.vim4j.io.torch.PthReader;

/**
 * Checkpoints whose pickle would run code under Python's pickle.load. Each payload, if executed,
 * would create /tmp/vim4j-io-pwned-&lt;case&gt;; vim4j must refuse the file, name the callable, and
 * leave no marker behind.
 */
class MaliciousPickleTest {
    private static final String MARKER = "/tmp/vim4j-io-pwned-";

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} refers to {1}")
    @CsvSource({
        "os_system.pth,            os.system,                         os_system",
        "builtins_eval.pth,        builtins.eval,                     eval",
        "posix_stack_global.pth,   posix.system,                      posix",
        "subprocess_popen.pth,     subprocess.Popen,                  popen",
        "inst_opcode.pth,          os.system,                         inst",
        "builtin_getattr.pth,      __builtin__.getattr,               getattr",
        "torch_utils_other.pth,    torch._utils._import_dotted_name,  other",
        "payload_in_args.pth,      posix.system,                      in_args",
        // tools/make_evil_pickles.py
        "builtins_exec.pth,           builtins.exec,                     exec",
        "functools_partial.pth,       functools.partial,                 partial",
        "operator_methodcaller.pth,   operator.methodcaller,             methodcaller",
        "importlib_import.pth,        importlib.import_module,           import",
        "pickle_loads_nested.pth,     _pickle.loads,                     nested",
        "marshal_code.pth,            marshal.loads,                     marshal",
        "payload_in_state_dict.pth,   posix.system,                      in_state_dict",
        "payload_in_rebuild_args.pth, posix.system,                      in_rebuild",
        "payload_in_namespace.pth,    posix.system,                      in_namespace",
    })
    void refusesAndNamesTheCallable(String file, String callable, String marker) throws IOException {
        Path markerFile = Path.of(MARKER + marker);
        Files.deleteIfExists(markerFile);
        Path p = Fixtures.path("evil/" + file);
        for (String entry : new String[] {null, "model"}) {
            VimException e = assertThrows(VimException.class, () -> CheckpointReader.read(p, entry));
            String msg = e.getMessage();
            assertTrue(msg.startsWith("refusing to load " + p + ": pickle references callable '" + callable
                    + "', which is not on vim4j's allow-list"), msg);
            e = assertThrows(VimException.class, () -> PthReader.read(p, entry));
            assertTrue(e.getMessage().contains("'" + callable + "'"), e.getMessage());
        }
        assertFalse(Files.exists(markerFile), "payload side effect must not happen");
    }

    @Test
    void refusesShutilRmtreeAndTheDirectorySurvives() throws IOException {
        Path victim = Files.createDirectories(Path.of(MARKER + "rmtree-dir"));
        try {
            Path p = Fixtures.path("evil/shutil_rmtree.pth");
            String msg = assertThrows(VimException.class, () -> CheckpointReader.read(p)).getMessage();
            assertTrue(msg.contains("'shutil.rmtree', which is not on vim4j's allow-list"), msg);
            assertTrue(Files.isDirectory(victim), "the payload's target must still exist");
        } finally {
            Files.deleteIfExists(victim);
        }
    }

    @Test
    void refusesTheExtensionRegistryWhichNamesNoCallable() throws IOException {
        // copyreg.add_extension('posix', 'system', 240) makes Python write EXT1 240 instead of the name: the
        // callable is looked up in a registry, so vim4j refuses the opcode itself.
        Path markerFile = Path.of(MARKER + "ext");
        Files.deleteIfExists(markerFile);
        Path p = Fixtures.path("evil/ext_registry.pth");
        String msg = assertThrows(VimException.class, () -> CheckpointReader.read(p)).getMessage();
        assertTrue(msg.contains(p.toString()) && msg.contains("extension-registry opcodes (EXT1/2/4) are not supported"), msg);
        assertFalse(Files.exists(markerFile));
    }

    @Test
    void refusesBeforeTouchingTheRestOfThePickle() {
        // The refused global comes first; a later (unreachable) valid tensor changes nothing.
        byte[] pkl = new PickleBuilder(2).op('}').str("w").global("os", "system").str("id").op(0x85, 'R', 's').stop();
        Path p = Fixtures.write(tmp, "x.pth", Fixtures.torchZip("x", pkl, Map.of()));
        String msg = assertThrows(VimException.class, () -> PthReader.read(p)).getMessage();
        assertTrue(msg.contains("'os.system'"), msg);
    }

    @Test
    void refusesPickledModulesWithAHint() {
        byte[] pkl = new PickleBuilder(2).global("torch.nn.modules.linear", "Linear").op(')', 0x81).stop();
        Path p = Fixtures.write(tmp, "m.pth", Fixtures.torchZip("m", pkl, Map.of()));
        String msg = assertThrows(VimException.class, () -> PthReader.read(p)).getMessage();
        assertTrue(msg.contains("'torch.nn.modules.linear.Linear'") && msg.contains("save model.state_dict() instead"), msg);
    }

    @Test
    void refusesDangerousNamesWhateverTheirSpelling() {
        String[][] globals = {
            {"__builtin__", "eval"}, {"builtins", "exec"}, {"builtins", "__import__"}, {"builtins", "getattr"},
            {"builtins", "open"}, {"subprocess", "check_output"}, {"nt", "system"}, {"torch", "load"},
            {"torch.serialization", "load"}, {"torch._utils", "_rebuild_device_tensor_from_numpy"},
            {"numpy.core.multiarray", "frombuffer"}, {"collections", "defaultdict"}, {"copyreg", "__newobj__"},
            {"argparse", "ArgumentParser"}, {"torch.storage", "_load_from_bytes"}, {"pickle", "loads"},
        };
        for (String[] g : globals) {
            byte[] pkl = new PickleBuilder(2).global(g[0], g[1]).stop();
            VimException e = assertThrows(VimException.class, () -> RestrictedUnpicklerTest.unpickle(pkl));
            assertTrue(e.getMessage().contains("'" + g[0] + "." + g[1] + "', which is not on vim4j's allow-list"), e.getMessage());
        }
        byte[] stack = new PickleBuilder(4).op(0x8c, 5).text("posix").op(0x8c, 6).text("system").op(0x93).stop();
        assertTrue(assertThrows(VimException.class, () -> RestrictedUnpicklerTest.unpickle(stack)).getMessage()
                .contains("'posix.system'"));
    }

    @Test
    void unsupportedStorageTypesAreNamed() {
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", new byte[8]);
        byte[] pkl = new PickleBuilder(2).op('}').str("w").tensor("ComplexFloatStorage", "0", 1, 0, new long[] {1}, new long[] {1})
                .op('s').stop();
        Path p = Fixtures.write(tmp, "c.pth", Fixtures.torchZip("c", pkl, storages));
        String msg = assertThrows(VimException.class, () -> PthReader.read(p)).getMessage();
        assertTrue(msg.contains("unsupported tensor storage type 'torch.ComplexFloatStorage'"), msg);
    }
}
