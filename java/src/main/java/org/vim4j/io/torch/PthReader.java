package org.vim4j.io.torch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import org.vim4j.VimException;
import org.vim4j.io.MappedFiles;
import org.vim4j.io.StateDict;
import org.vim4j.io.pickle.PickleBudget;
import org.vim4j.io.pickle.PickleGlobal;
import org.vim4j.io.pickle.PickleObject;
import org.vim4j.io.pickle.PickleTensor;
import org.vim4j.io.pickle.PickleTuple;
import org.vim4j.io.pickle.PickleValues;
import org.vim4j.io.pickle.RestrictedUnpickler;
import org.vim4j.tensor.Tensor;

/**
 * Reads the state dict out of a PyTorch {@code torch.save} checkpoint (the zip format of
 * torch &gt;= 1.6) without running any of its pickled code.
 *
 * <p>The file is memory-mapped; contiguous tensors are zero-copy slices of the mapping, owned by
 * the returned {@link StateDict}'s arena (closing it unmaps the file). Only non-contiguous views are
 * copied, into the same arena. The pickle is interpreted by {@link RestrictedUnpickler}, which
 * refuses any global outside vim4j's allow-list.
 *
 * <p><b>Which dict is returned.</b> {@code entry} names it:
 * <ul>
 *   <li>{@code null} (auto): a bare state dict (the top-level object is a dict of tensors) is used
 *       as-is; otherwise the top-level dict's {@code "model"} entry, else its {@code "state_dict"}
 *       entry, must be a dict of tensors;</li>
 *   <li>{@code "model"} ({@link #DEFAULT_ENTRY}): a bare state dict, or the {@code "model"} entry;</li>
 *   <li>any other name (e.g. {@code "model_ema"}): exactly that entry of the top-level dict.</li>
 * </ul>
 * Other entries (optimizer, args, ...) are parsed as inert data; their tensors are never read.
 * If every key starts with {@code module.} (a DDP-wrapped model), that prefix is removed.
 *
 * <p><b>Metadata.</b> {@code vim4j.entry} (the entry used, or {@code (root)} for a bare dict), and
 * from a top-level {@code args} (argparse.Namespace or dict) the scalar fields
 * {@code args.input_size} and {@code args.model} when present.
 */
public final class PthReader {
    /** The entry the official Vim training script stores the weights under. */
    public static final String DEFAULT_ENTRY = "model";
    /** The {@code vim4j.entry} value for a file whose top-level object is itself the state dict. */
    public static final String ROOT_ENTRY = "(root)";
    /** Metadata key: the entry the tensors came from. */
    public static final String META_ENTRY = "vim4j.entry";
    /** data.pkl larger than this is refused (real ones are kilobytes to a few megabytes). */
    static final long MAX_PICKLE_BYTES = 256L << 20;
    /** Strided copies may always use this much, beyond the file's size (small expanded views). */
    static final long MIN_COPY_BUDGET = 64L << 20;

    private static final String DDP_PREFIX = "module.";
    private static final List<String> ARGS_FIELDS = List.of("input_size", "model");

    private PthReader() {
    }

    /** Same as {@link #read(Path, String) read(path, null)}: automatic entry selection. */
    public static StateDict read(Path path) {
        return read(path, null);
    }

    /**
     * Reads one state dict from a torch.save zip checkpoint.
     *
     * @param path the .pth file
     * @param entry which dict to return (see the class description); null for automatic
     * @return the tensors in file order, owned by a new shared arena (close the StateDict to release)
     * @throws VimException if the file is missing, not a torch zip checkpoint, uses the legacy
     *         format, references a callable outside the allow-list, or is corrupt in any way
     */
    public static StateDict read(Path path, String entry) {
        Arena arena = Arena.ofShared();
        try {
            return read(path, entry, arena);
        } catch (IndexOutOfBoundsException | ArithmeticException | IllegalArgumentException e) {
            // Every range is validated before use; this is a last line of defence that still names the file.
            arena.close();
            // The internal exception stays the cause; its class and text are not the user's business.
            throw new VimException(path + ": corrupt checkpoint (a size or offset in it is out of range)", e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static StateDict read(Path path, String entry, Arena arena) {
        String file = path.toString();
        MemorySegment bytes = MappedFiles.map(path, arena);
        if (bytes.byteSize() > 0 && bytes.get(ValueLayout.JAVA_BYTE, 0) == (byte) 0x80) {
            throw legacyFormat(path);
        }
        ZipDirectory zip = ZipDirectory.read(file, bytes);
        String prefix = findPrefix(file, zip);
        checkByteOrder(file, zip, prefix);

        ZipDirectory.Entry pklEntry = zip.get(prefix + "/data.pkl");
        // The pickle's budgets follow the bytes it occupies in the file; a deflated one pays for its inflation
        // first, so a small file cannot make vim4j inflate hundreds of megabytes.
        PickleBudget budget = PickleBudget.forInput(pklEntry.compressedSize());
        if (pklEntry.method() != ZipDirectory.Entry.STORED) {
            budget.charge(pklEntry.size(), "inflating data.pkl (zip entry '" + pklEntry.name() + "', "
                    + pklEntry.compressedSize() + " bytes compressed)", what -> new VimException(file + ": " + what));
        }
        MemorySegment pkl = zip.small(pklEntry, MAX_PICKLE_BYTES, "data.pkl");
        Storages storages = new Storages(file, prefix, zip);
        Object root = new RestrictedUnpickler(file, pklEntry.name(), pkl, storages::load, budget).load();

        Map<String, String> metadata = new HashMap<>();
        String chosen = entry;
        Map<?, ?> dict;
        if (!(root instanceof Map<?, ?> top)) {
            throw new VimException(file + ": the checkpoint holds " + PickleValues.describe(root)
                    + ", not a dict of tensors");
        }
        if (stateDictProblem(top) == null) {
            if (entry != null && !entry.equals(DEFAULT_ENTRY)) {
                throw new VimException(file + ": the checkpoint is a bare state dict; it has no entry '" + entry + "'");
            }
            chosen = ROOT_ENTRY;
            dict = top;
        } else {
            List<String> candidates = entry == null ? List.of(DEFAULT_ENTRY, "state_dict") : List.of(entry);
            dict = null;
            for (String c : candidates) {
                if (top.containsKey(c)) {
                    Object v = top.get(c);
                    String problem = v instanceof Map<?, ?> m ? stateDictProblem(m) : "it is " + PickleValues.describe(v);
                    if (problem != null) {
                        throw new VimException(file + ": entry '" + c + "' is not a state dict: " + problem);
                    }
                    chosen = c;
                    dict = (Map<?, ?>) v;
                    break;
                }
            }
            if (dict == null) {
                throw new VimException(file + ": no state dict found: " + (entry == null ? "neither 'model' nor 'state_dict'"
                        : "no entry '" + entry + "'") + " among the top-level keys " + keyList(top));
            }
        }
        metadata.put(META_ENTRY, chosen);
        addArgs(top.get("args"), metadata);
        // Copies of strided views may total the file's size plus a little: every honest view fits.
        TorchTensor.CopyBudget copies = new TorchTensor.CopyBudget(bytes.byteSize() + MIN_COPY_BUDGET);
        return new StateDict(path, arena, materialize(file, dict, arena, copies), metadata);
    }

    private static VimException legacyFormat(Path path) {
        return new VimException(path + ": legacy torch serialization is not supported; re-save with torch>=1.6 "
                + "default zip format (torch.save(torch.load(f), f2))");
    }

    /** The single top-level folder holding data.pkl: torch names it after the file stem (1.x) or "archive" (newer). */
    private static String findPrefix(String file, ZipDirectory zip) {
        List<String> prefixes = new ArrayList<>();
        for (String name : zip.entries().keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash).equals("/data.pkl")) {
                prefixes.add(name.substring(0, slash));
            }
        }
        if (prefixes.isEmpty()) {
            List<String> names = zip.entries().keySet().stream().limit(8).toList();
            throw new VimException(file + ": a zip file, but not a torch.save checkpoint: no '<folder>/data.pkl' entry (entries: "
                    + names + (zip.entries().size() > 8 ? ", ..." : "") + ")");
        }
        if (prefixes.size() > 1) {
            throw new VimException(file + ": ambiguous torch.save checkpoint: data.pkl in several folders " + prefixes);
        }
        return prefixes.getFirst();
    }

    private static void checkByteOrder(String file, ZipDirectory zip, String prefix) {
        ZipDirectory.Entry e = zip.get(prefix + "/byteorder");
        if (e == null) {
            return; // torch before 2.1 writes none; its storages are little-endian
        }
        String order = new String(zip.small(e, 64, "byteorder record").toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.ISO_8859_1).strip();
        if (!order.equals("little")) {
            throw new VimException(file + ": checkpoint byte order is '" + order + "'; vim4j reads only 'little'");
        }
    }

    /** Null if {@code m} is a non-empty dict of string keys to tensors; otherwise what is wrong. */
    private static String stateDictProblem(Map<?, ?> m) {
        if (m.isEmpty()) {
            return "it is empty";
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                return "key " + PickleValues.describe(e.getKey()) + " is not a string";
            }
            if (!(e.getValue() instanceof PickleTensor)) {
                return "value of '" + PickleValues.abbreviate(k) + "' is " + PickleValues.describe(e.getValue()) + ", not a tensor";
            }
        }
        return null;
    }

    private static SequencedMap<String, Tensor> materialize(String file, Map<?, ?> dict, Arena arena,
            TorchTensor.CopyBudget budget) {
        boolean ddp = dict.keySet().stream().allMatch(k -> ((String) k).startsWith(DDP_PREFIX)
                && ((String) k).length() > DDP_PREFIX.length());
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            String name = (String) e.getKey();
            if (ddp) {
                name = name.substring(DDP_PREFIX.length());
            }
            Tensor t = new TorchTensor((PickleTensor) e.getValue()).materialize(name, arena, budget);
            if (tensors.putIfAbsent(name, t) != null) {
                throw new VimException(file + ": duplicate tensor name '" + PickleValues.abbreviate(name) + "'");
            }
        }
        return tensors;
    }

    private static void addArgs(Object args, Map<String, String> metadata) {
        Map<?, ?> fields = args instanceof PickleObject o && o.className().endsWith("argparse.Namespace") ? o.attributes()
                : args instanceof Map<?, ?> m ? m : Map.of();
        for (String f : ARGS_FIELDS) {
            Object v = fields.get(f);
            if (v instanceof String || v instanceof Long || v instanceof BigInteger || v instanceof Boolean
                    || v instanceof Double) {
                metadata.put("args." + f, v instanceof Boolean b ? (b ? "True" : "False") : v.toString());
            }
        }
    }

    private static String keyList(Map<?, ?> top) {
        List<String> keys = new ArrayList<>();
        for (Object k : top.keySet()) {
            if (keys.size() == 20) {
                keys.add("...");
                break;
            }
            keys.add(k instanceof String s ? "'" + PickleValues.abbreviate(s) + "'" : PickleValues.describe(k));
        }
        return keys.toString();
    }

    /** Resolves storage persistent ids to zip entries, once per key. */
    private static final class Storages {
        private final String file;
        private final String prefix;
        private final ZipDirectory zip;
        private final Map<String, TorchStorage> byKey = new HashMap<>();

        Storages(String file, String prefix, ZipDirectory zip) {
            this.file = file;
            this.prefix = prefix;
            this.zip = zip;
        }

        /** {@code ('storage', torch.XStorage, key, location, numel)} → the storage (same object for the same key). */
        TorchStorage load(Object pid) {
            if (!(pid instanceof PickleTuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
                throw bad("expected ('storage', type, key, location, numel), got " + PickleValues.describe(pid));
            }
            if (!(t.get(1) instanceof PickleGlobal type) || type.kind() != PickleGlobal.Kind.STORAGE) {
                throw bad("storage type must be a torch storage class, got " + PickleValues.describe(t.get(1)));
            }
            if (!(t.get(2) instanceof String key) || !(t.get(3) instanceof String)) {
                throw bad("storage key and location must be strings");
            }
            if (!(t.get(4) instanceof Long numel) || numel < 0) {
                throw bad("storage '" + PickleValues.abbreviate(key) + "': numel must be a non-negative int, got " + PickleValues.describe(t.get(4)));
            }
            TorchStorage known = byKey.get(key);
            if (known != null) {
                if (known.dtype() != type.storageType() || known.numel() != numel) {
                    throw bad("storage '" + key + "' is referenced as " + type + " of " + numel + " elements and as "
                            + known.type() + " of " + known.numel());
                }
                return known;
            }
            ZipDirectory.Entry e = zip.get(prefix + "/data/" + key);
            if (e == null) {
                throw bad("storage '" + PickleValues.abbreviate(key) + "' has no zip entry '" + prefix + "/data/" + PickleValues.abbreviate(key) + "'");
            }
            TorchStorage s = new TorchStorage(file, key, type.qualifiedName(), type.storageType(), numel, e, zip);
            byKey.put(key, s);
            return s;
        }

        private VimException bad(String what) {
            return new VimException(file + ": invalid storage reference in data.pkl: " + what);
        }
    }
}
