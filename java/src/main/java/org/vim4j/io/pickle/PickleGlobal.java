package org.vim4j.io.pickle;

import java.util.HashMap;
import java.util.Map;

import org.vim4j.VimException;
import org.vim4j.tensor.DType;

/**
 * A Python global (GLOBAL / STACK_GLOBAL / INST) that vim4j's allow-list admits, and the allow-list
 * itself. Resolving a name never loads or runs code: an admitted name becomes a tag ({@link Kind})
 * that {@link RestrictedUnpickler} interprets with its own fixed Java logic. Every other name is
 * refused before anything is built from it.
 *
 * @param module the module as written in the pickle (e.g. {@code __builtin__} stays as written)
 * @param name the qualified name inside the module
 * @param kind what vim4j does when the pickle calls or instantiates it
 * @param storageType the element type, for {@link Kind#STORAGE}; else null
 */
public record PickleGlobal(String module, String name, Kind kind, DType storageType) {

    /** What an allow-listed global stands for. */
    public enum Kind {
        /** {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])}. */
        REBUILD_TENSOR_V2,
        /** {@code torch._utils._rebuild_tensor(storage, offset, size, stride)} (older torch). */
        REBUILD_TENSOR,
        /** {@code _rebuild_parameter(data, requires_grad, hooks[, state])}: a Parameter is its tensor. */
        REBUILD_PARAMETER,
        /** {@code torch._tensor._rebuild_from_type_v2(func, type, args, state)}: applied only to the tensor rebuilders. */
        REBUILD_FROM_TYPE,
        /** {@code torch.Tensor} / {@code torch.nn.parameter.Parameter}: only valid as the type in {@link #REBUILD_FROM_TYPE}. */
        TENSOR_CLASS,
        /** {@code torch.FloatStorage} etc.: only valid inside a storage persistent id. */
        STORAGE,
        /** {@code collections.OrderedDict}: becomes an ordinary (insertion-ordered) dict. */
        ORDERED_DICT,
        /** A class whose instances become inert {@link PickleObject} placeholders. */
        INERT_CLASS,
        /** A constant such as {@code torch.float32}: a value, not callable. */
        INERT_VALUE,
        /** {@code builtins.set}: {@code set()} or {@code set(list)}. */
        SET,
        /** {@code builtins.frozenset}. */
        FROZENSET,
        /** {@code builtins.bytes}: {@code bytes()} only (how protocols 0-2 spell {@code b''}). */
        BYTES,
        /** {@code builtins.bytearray(bytes)} (protocols 0-4). */
        BYTEARRAY,
        /** {@code _codecs.encode(str, 'latin1')}: how protocols 0-2 spell non-empty bytes. */
        CODECS_ENCODE,
        /** {@code torch.Size(tuple)}: a tuple. */
        TORCH_SIZE,
        /** {@code copyreg._reconstructor(cls, object, None)} (protocols 0-1): instantiates an inert class. */
        RECONSTRUCTOR,
        /** {@code builtins.object}: only valid as the base in {@link #RECONSTRUCTOR}. */
        OBJECT
    }

    private static final Map<String, PickleGlobal> ALLOWED = new HashMap<>();

    static {
        allow("torch._utils", "_rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2);
        allow("torch._utils", "_rebuild_tensor", Kind.REBUILD_TENSOR);
        allow("torch._utils", "_rebuild_parameter", Kind.REBUILD_PARAMETER);
        allow("torch._utils", "_rebuild_parameter_with_state", Kind.REBUILD_PARAMETER);
        allow("torch._tensor", "_rebuild_from_type_v2", Kind.REBUILD_FROM_TYPE);
        allow("torch", "Tensor", Kind.TENSOR_CLASS);
        allow("torch._tensor", "Tensor", Kind.TENSOR_CLASS);
        allow("torch.nn.parameter", "Parameter", Kind.TENSOR_CLASS);
        storage("FloatStorage", DType.F32);
        storage("HalfStorage", DType.F16);
        storage("BFloat16Storage", DType.BF16);
        storage("DoubleStorage", DType.F64);
        storage("LongStorage", DType.I64);
        storage("IntStorage", DType.I32);
        storage("ShortStorage", DType.I16);
        storage("CharStorage", DType.I8);
        storage("ByteStorage", DType.U8);
        storage("BoolStorage", DType.BOOL);
        allow("collections", "OrderedDict", Kind.ORDERED_DICT);
        // Training scripts pickle these next to the weights; kept as data, never instantiated.
        allow("argparse", "Namespace", Kind.INERT_CLASS);
        allow("torch", "device", Kind.INERT_CLASS);
        allow("torch.torch_version", "TorchVersion", Kind.INERT_CLASS);
        for (String np : new String[] {"numpy.core.multiarray", "numpy._core.multiarray"}) {
            allow(np, "scalar", Kind.INERT_CLASS);
            allow(np, "_reconstruct", Kind.INERT_CLASS);
        }
        allow("numpy", "dtype", Kind.INERT_CLASS);
        allow("numpy", "ndarray", Kind.INERT_CLASS);
        for (String dt : new String[] {"float32", "float", "float16", "half", "bfloat16", "float64", "double", "int64",
                "long", "int32", "int", "int16", "short", "int8", "uint8", "bool", "contiguous_format",
                "preserve_format", "channels_last", "strided"}) {
            allow("torch", dt, Kind.INERT_VALUE);
        }
        allow("torch", "Size", Kind.TORCH_SIZE);
        allow("builtins", "set", Kind.SET);
        allow("builtins", "frozenset", Kind.FROZENSET);
        allow("builtins", "slice", Kind.INERT_CLASS);
        allow("builtins", "bytes", Kind.BYTES);
        allow("builtins", "bytearray", Kind.BYTEARRAY);
        allow("builtins", "object", Kind.OBJECT);
        allow("_codecs", "encode", Kind.CODECS_ENCODE);
        allow("copyreg", "_reconstructor", Kind.RECONSTRUCTOR);
    }

    private static void allow(String module, String name, Kind kind) {
        ALLOWED.put(module + "." + name, new PickleGlobal(module, name, kind, null));
    }

    private static void storage(String name, DType dtype) {
        ALLOWED.put("torch." + name, new PickleGlobal("torch", name, Kind.STORAGE, dtype));
    }

    /** {@code module.name} as written in the pickle. */
    public String qualifiedName() {
        return module + "." + name;
    }

    /**
     * Looks {@code module.name} up in the allow-list.
     *
     * <p>Python 2 spellings that pickle's {@code fix_imports} writes at protocols 0-2
     * ({@code __builtin__}, {@code copy_reg}) are looked up as their Python 3 names, so
     * {@code __builtin__.set} is admitted exactly when {@code builtins.set} is, and
     * {@code __builtin__.eval} is refused like {@code builtins.eval}.
     *
     * @param file the checkpoint, named in the refusal message
     * @throws VimException naming the callable when it is not allow-listed
     */
    static PickleGlobal resolve(String file, String module, String name) {
        String canonical = switch (module) {
            case "__builtin__" -> "builtins";
            case "copy_reg" -> "copyreg";
            default -> module;
        };
        PickleGlobal g = ALLOWED.get(canonical + "." + name);
        if (g != null) {
            return new PickleGlobal(module, name, g.kind, g.storageType);
        }
        String qualified = module + "." + name;
        if (module.equals("torch") && name.endsWith("Storage")) {
            throw new VimException(file + ": unsupported tensor storage type '" + qualified
                    + "' (vim4j reads float, half, bfloat16, double, int64/32/16/8, uint8 and bool storages)");
        }
        String hint = module.startsWith("torch.nn") || module.equals("__main__")
                ? " (is this a whole pickled nn.Module? save model.state_dict() instead)"
                : "";
        throw new VimException("refusing to load " + file + ": pickle references callable '" + qualified
                + "', which is not on vim4j's allow-list" + hint);
    }

    @Override
    public String toString() {
        return qualifiedName();
    }
}
