package org.vim4j.io.pickle;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes pickle opcodes by hand, for tests that need pickles no pickler would produce. */
public final class PickleBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public PickleBuilder(int protocol) {
        op(0x80, protocol);
    }

    /** No PROTO header at all (protocol 0/1 pickles start directly with data). */
    public static PickleBuilder bare() {
        PickleBuilder b = new PickleBuilder(0);
        b.out.reset();
        return b;
    }

    public PickleBuilder op(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    public PickleBuilder raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    public PickleBuilder text(String s) {
        return raw(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    public PickleBuilder u32(long v) {
        return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    public PickleBuilder u64(long v) {
        return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    /** BINUNICODE. */
    public PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return op('X').u32(b.length).raw(b);
    }

    /** BININT1 / BININT / LONG1, as Python chooses. */
    public PickleBuilder integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K', (int) v);
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return op('J').u32(v);
        }
        byte[] le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
        return op(0x8a, 8).raw(le);
    }

    public PickleBuilder global(String module, String name) {
        return op('c').text(module + "\n" + name + "\n");
    }

    public PickleBuilder mark() {
        return op('(');
    }

    public PickleBuilder tuple() {
        return op('t');
    }

    public PickleBuilder ints(long... values) {
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    /** The persistent id torch writes for a storage. */
    public PickleBuilder storage(String storageType, String key, long numel) {
        return mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).tuple().op('Q');
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}. */
    public PickleBuilder tensor(String storageType, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        storage(storageType, key, numel).integer(offset).ints(size).ints(stride);
        return op(0x89).global("collections", "OrderedDict").op(')', 'R').tuple().op('R');
    }

    /** The bytes so far plus STOP. */
    public byte[] stop() {
        out.write('.');
        return out.toByteArray();
    }

    /** The bytes so far, without STOP. */
    public byte[] bytes() {
        return out.toByteArray();
    }
}
