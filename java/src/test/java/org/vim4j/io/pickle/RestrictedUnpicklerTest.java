package org.vim4j.io.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vim4j.VimException;
import org.vim4j.io.Fixtures;

class RestrictedUnpicklerTest {
    static Object unpickle(byte[] pickle) {
        return new RestrictedUnpickler("test.pth", "t/data.pkl", MemorySegment.ofArray(pickle), null).load();
    }

    static String error(byte[] pickle) {
        return assertThrows(VimException.class, () -> unpickle(pickle)).getMessage();
    }

    /** tools/make_io_fixtures.py pickles the same dict with protocols 0 to 5. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void decodesInertDataInEveryProtocol(int protocol) throws IOException {
        byte[] pickle = Files.readAllBytes(Fixtures.path("pickles/inert_p" + protocol + ".pkl"));
        Map<?, ?> d = assertInstanceOf(Map.class, unpickle(pickle));
        assertEquals(1L, d.get("int"));
        assertEquals(-2L, d.get("neg"));
        assertEquals(40000L, d.get("i16"));
        assertEquals(-70000L, d.get("i32"));
        assertEquals(BigInteger.TWO.pow(70), d.get("big"));
        assertEquals(BigInteger.TWO.pow(65).negate(), d.get("bigneg"));
        assertEquals(1.5, d.get("float"));
        assertEquals("h\u00e9llo", d.get("str"));
        assertTrue(d.containsKey("none"));
        assertNull(d.get("none"));
        assertEquals(Boolean.TRUE, d.get("t"));
        assertEquals(Boolean.FALSE, d.get("f"));
        assertEquals(List.of(1L, "two", 3.0), d.get("list"));
        PickleTuple t = assertInstanceOf(PickleTuple.class, d.get("tuple"));
        assertEquals(PickleTuple.of(1L, PickleTuple.of(2L, 3L)), t);
        assertEquals(0, ((PickleTuple) d.get("empty_tuple")).size());
        assertArrayEquals(new byte[] {'a', 'b', 0, (byte) 0xff}, (byte[]) d.get("bytes"));
        PickleSet set = assertInstanceOf(PickleSet.class, d.get("set"));
        assertEquals(List.of(7L), set.items());
        Map<?, ?> nested = (Map<?, ?>) d.get("nested");
        List<?> a = (List<?>) nested.get("a");
        assertTrue(((Map<?, ?>) a.getFirst()).containsKey("b"));
        PickleTuple shared = (PickleTuple) d.get("shared");
        assertSame(shared.get(0), shared.get(1), "the memo hands back the same list object");
        assertEquals(List.of(1L, 2L), shared.get(0));
    }

    @Test
    void namespaceBecomesAPlaceholderWithReadableAttributes() throws IOException {
        Map<?, ?> d = (Map<?, ?>) unpickle(Files.readAllBytes(Fixtures.path("pickles/namespace_p2.pkl")));
        PickleObject ns = assertInstanceOf(PickleObject.class, d.get("args"));
        assertEquals("argparse.Namespace", ns.className());
        assertEquals(384L, ns.attributes().get("input_size"));
        assertEquals("vim_small", ns.attributes().get("model"));
        assertEquals(Map.of("x", 1L), d.get("od"));
    }

    @Test
    void bytearrayOfProtocol5() throws IOException {
        assertArrayEquals("xyz".getBytes(), (byte[]) unpickle(Files.readAllBytes(Fixtures.path("pickles/bytearray_p5.pkl"))));
    }

    @Test
    void protocol0ObjectsAndStrings() {
        // copy_reg._reconstructor(argparse.Namespace, object, None) + BUILD, as protocol 0 writes a Namespace.
        byte[] p = PickleBuilder.bare().text("ccopy_reg\n_reconstructor\n(cargparse\nNamespace\nc__builtin__\nobject\nNtR")
                .text("(dVmodel\nS'vim\\x5ft\\n'\nsb.").bytes();
        PickleObject ns = (PickleObject) unpickle(p);
        assertEquals("vim_t\n", ns.attributes().get("model"));
        assertEquals(List.of(-3L, 5L), unpickle(PickleBuilder.bare().text("(lp0\nI-3\naL5L\na.").bytes()));
        assertEquals(Double.NEGATIVE_INFINITY, unpickle(PickleBuilder.bare().text("F-inf\n.").bytes()));
        assertEquals("a\\b\u20ac", unpickle(PickleBuilder.bare().text("Va\\u005cb\\u20ac\n.").bytes()));
        assertEquals(Map.of("k", List.of()), unpickle(PickleBuilder.bare().text("(dp0\nVk\np1\n(lp2\ns.").bytes()));
        assertEquals(Map.of("k", 1L), unpickle(PickleBuilder.bare().text("ccollections\nOrderedDict\n((lp0\n(lp1\nVk\naI1\naatR.").bytes()));
    }

    @Test
    void popDiscardsAnEmptyMark() {
        // MARK, POP (drops the mark), then TUPLE has no mark left.
        assertTrue(error(new PickleBuilder(2).op('N', '(', '0', 't').stop()).contains("no MARK"));
        assertEquals(1L, unpickle(new PickleBuilder(2).op('K', 1, '(', 'N', '0', '0').stop()));
    }

    @Test
    void noneIsAValidMemoValue() {
        assertNull(unpickle(new PickleBuilder(2).op('N', 'q', 0, '0', 'h', 0).stop()));
    }

    @Test
    void stackUnderflowIsAnError() {
        assertTrue(error(new PickleBuilder(2).stop()).contains("stack underflow"));
        assertTrue(error(new PickleBuilder(2).op('N', 's').stop()).contains("stack underflow"));
        assertTrue(error(new PickleBuilder(2).op('q', 0).stop()).contains("stack underflow"));
        // Items below a MARK are not reachable until the mark is popped.
        assertTrue(error(new PickleBuilder(2).op('N', '(', 0x85).stop()).contains("stack underflow"));
        assertTrue(error(new PickleBuilder(2).op('t').stop()).contains("no MARK"));
    }

    @Test
    void memoMisuseIsAnError() {
        String msg = error(new PickleBuilder(2).op('h', 5).stop());
        assertTrue(msg.contains("memo key 5 was never stored"), msg);
        assertTrue(error(new PickleBuilder(2).op('j').u32(0xfffffff0L).stop()).contains("memo key 4294967280"));
        assertTrue(error(PickleBuilder.bare().text("N0g7\n.").bytes()).contains("memo key 7"));
        assertTrue(error(PickleBuilder.bare().text("Np-1\n.").bytes()).contains("invalid memo index"));
    }

    @Test
    void truncatedPicklesFailCleanly() {
        byte[] full = new PickleBuilder(2).op('}').str("weight").str("some value").op('s').stop();
        for (int cut = 1; cut < full.length; cut++) {
            byte[] part = Arrays.copyOf(full, cut);
            String msg = error(part);
            assertTrue(msg.contains("test.pth: t/data.pkl: "), msg);
        }
        assertTrue(error(new PickleBuilder(2).op('X').u32(10).text("abc").stop()).contains("declares 10 bytes, but only 4 remain"));
        assertTrue(error(new PickleBuilder(2).op('N').bytes()).contains("pickle ends after 3 bytes"));
        assertTrue(error(PickleBuilder.bare().text("cos\nsys").bytes()).contains("ends inside a text argument"));
    }

    @Test
    void hugeDeclaredSizesAreRefusedWithoutAllocating() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            String msg = error(new PickleBuilder(4).op(0x8d).u64(1L << 60).text("x").stop());
            assertTrue(msg.contains("declares 1152921504606846976 bytes, but only 2 remain"), msg);
            assertTrue(error(new PickleBuilder(4).op(0x8e).u64(-1L).stop()).contains("declares 18446744073709551615 bytes"));
            assertTrue(error(new PickleBuilder(5).op(0x96).u64(1L << 40).stop()).contains("declares 1099511627776 bytes"));
            assertTrue(error(new PickleBuilder(2).op('B').u32(0xffffffffL).stop()).contains("declares 4294967295 bytes"));
            assertTrue(error(new PickleBuilder(2).op(0x8b).u32(0x7fffffff).stop()).contains("larger than vim4j accepts"));
            assertTrue(error(new PickleBuilder(2).op(0x8b).u32(-5).stop()).contains("negative integer length"));
            assertTrue(error(new PickleBuilder(4).op(0x95).u64(1L << 50).stop()).contains("frame of 1125899906842624 bytes"));
            assertTrue(error(PickleBuilder.bare().text("L" + "9".repeat(5000) + "\n.").bytes()).contains("text argument longer"));
        });
    }

    @Test
    void deepNestingIsBounded() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            byte[] marks = new byte[RestrictedUnpickler.MAX_MARKS + 10];
            Arrays.fill(marks, (byte) '(');
            assertTrue(error(new PickleBuilder(2).raw(marks).stop()).contains("nested MARKs"));

            PickleBuilder tuples = new PickleBuilder(2).op(')');
            for (int i = 0; i < PickleTuple.MAX_DEPTH + 5; i++) {
                tuples.op(0x85);
            }
            assertTrue(error(tuples.stop()).contains("tuples nested deeper than"));

            // Lists nested a million deep (no marks needed): the stack bound stops them.
            byte[] lists = new byte[RestrictedUnpickler.MAX_STACK + 10];
            Arrays.fill(lists, (byte) ']');
            assertTrue(error(new PickleBuilder(2).raw(lists).stop()).contains("stack deeper than"));

            // A list nested inside itself is legal pickle data and must not hang or overflow anything.
            Object self = unpickle(new PickleBuilder(2).op(']', 'q', 0, 'h', 0, 'a').stop());
            assertSame(self, ((List<?>) self).getFirst());
        });
    }

    @Test
    void workAndMemoryBudgetsAreNamedWhenExceeded() {
        // 2,000 opcodes under a 1,000-step budget; 1,000 strings of 1 KB under a 1 MB memory budget.
        byte[] nones = new byte[4000];
        for (int i = 0; i < nones.length; i += 2) {
            nones[i] = 'N';
            nones[i + 1] = '0';
        }
        byte[] work = new PickleBuilder(2).raw(nones).op('N').stop();
        String msg = assertThrows(VimException.class, () -> new RestrictedUnpickler("test.pth", "t/data.pkl",
                MemorySegment.ofArray(work), null, new PickleBudget(1000, 1 << 20, "for a test")).load()).getMessage();
        assertTrue(msg.startsWith("test.pth: t/data.pkl: refusing the pickle at byte ") && msg.contains("exceeds its work budget of 1,000 steps"), msg);
        PickleBuilder strings = new PickleBuilder(2).op(']');
        for (int i = 0; i < 1000; i++) {
            strings.str("x".repeat(1000)).op('a');
        }
        byte[] memory = strings.stop();
        msg = assertThrows(VimException.class, () -> new RestrictedUnpickler("test.pth", "t/data.pkl",
                MemorySegment.ofArray(memory), null, new PickleBudget(1L << 30, 1 << 20, "for a test")).load()).getMessage();
        assertTrue(msg.contains("exceeds its memory budget: a 1000-character string would bring") && msg.contains("over the budget of 1,048,576"), msg);
        // The default budgets (from the pickle's size) admit both.
        assertEquals(1000, ((List<?>) unpickle(memory)).size());
    }

    @Test
    void dictKeysMustBeHashableAndUnique() {
        assertTrue(error(new PickleBuilder(2).op('}', ']', 'N', 's').stop()).contains("unhashable dict key list"));
        assertTrue(error(new PickleBuilder(2).op('}', ']', 0x85, 'N', 's').stop()).contains("unhashable dict key tuple of 1"));
        String dup = error(new PickleBuilder(2).op('}', '(').str("w").op('N').str("w").op('N', 'u').stop());
        assertTrue(dup.contains("duplicate key str 'w'"), dup);
        assertTrue(error(new PickleBuilder(2).op('(', 'N', 'd').stop()).contains("odd number of items"));
        // Tuples of hashables are fine as keys, None too.
        Map<?, ?> ok = (Map<?, ?>) unpickle(new PickleBuilder(2).op('}', 'K', 1, 'K', 2, 0x86, 'N', 's', 'N', 'N', 's').stop());
        assertEquals(2, ok.size());
    }

    @Test
    void misusedOpcodesAreErrors() {
        assertTrue(error(new PickleBuilder(2).op(0xff).stop()).contains("unknown opcode 0xff"));
        assertTrue(error(new PickleBuilder(6).stop()).contains("unsupported pickle protocol 6"));
        assertTrue(error(new PickleBuilder(2).op('K', 1, ')', 'R').stop()).contains("cannot call int 1"));
        assertTrue(error(new PickleBuilder(2).op(']', 'K', 1, 'R').stop()).contains("REDUCE arguments must be a tuple"));
        assertTrue(error(new PickleBuilder(2).global("torch._utils", "_rebuild_tensor_v2").op(')', 0x81).stop())
                .contains("cannot instantiate"));
        assertTrue(error(new PickleBuilder(2).global("torch", "float32").op(')', 'R').stop()).contains("may not be called"));
        assertTrue(error(new PickleBuilder(2).op(0x82, 1).stop()).contains("EXT1/2/4"));
        assertTrue(error(new PickleBuilder(5).op(0x97).stop()).contains("out-of-band"));
        assertTrue(error(new PickleBuilder(2).op('}', 'N', 'a').stop()).contains("APPEND(S) on dict"));
        assertTrue(error(new PickleBuilder(2).op(']', '}', 'b').stop()).contains("BUILD on list"));
        assertTrue(error(new PickleBuilder(2).op(')', 'Q').stop()).contains("unexpected persistent id"));
        assertTrue(error(new PickleBuilder(2).global("_codecs", "encode").str("x").str("utf-8").op(0x86, 'R').stop())
                .contains("only supported as (str, 'latin1')"));
        assertTrue(error(new PickleBuilder(2).global("collections", "OrderedDict").op('K', 1, 0x85, 'R').stop())
                .contains("takes 0 arguments"));
        assertTrue(error(PickleBuilder.bare().text("F1e5f\n.").bytes()).contains("invalid float literal"));
        assertTrue(error(PickleBuilder.bare().text("I12a\n.").bytes()).contains("invalid integer literal"));
        assertTrue(error(new PickleBuilder(4).op(0x8c, 2, 0xc3, 0x28).stop()).contains("not valid UTF-8"));
        assertTrue(error(new PickleBuilder(4).op('K', 1, 'K', 2, 0x93).stop()).contains("STACK_GLOBAL needs two strings"));
    }

    @Test
    void rebuildArgumentsAreTypeChecked() {
        byte[] p = new PickleBuilder(2).global("torch._utils", "_rebuild_tensor_v2").op('(', 'N', 'K', 0, ')', ')', 0x89, '}', 't', 'R')
                .stop();
        assertTrue(error(p).contains("argument 0 must be a storage"), error(p));
        byte[] arity = new PickleBuilder(2).global("torch._utils", "_rebuild_tensor_v2").op(')', 'R').stop();
        assertTrue(error(arity).contains("takes 6 to 7 arguments, got 0"));
        byte[] param = new PickleBuilder(2).global("torch._utils", "_rebuild_parameter").op('K', 1, 0x88, '}', 0x87, 'R').stop();
        assertTrue(error(param).contains("expects a tensor"));
    }

    @Test
    void placeholdersNeverRunAnything() {
        // Reducing allow-listed inert classes with arbitrary arguments only records them.
        byte[] p = new PickleBuilder(2).global("argparse", "Namespace").str("rm -rf /").op(0x85, 'R')
                .op('}').str("__class__").str("os.system").op('s', 'b').stop();
        PickleObject o = (PickleObject) unpickle(p);
        assertEquals("argparse.Namespace", o.className());
        assertEquals("rm -rf /", o.args().get(0));
        assertEquals("os.system", o.attributes().get("__class__"));
        assertEquals("<argparse.Namespace placeholder>", o.toString());
    }
}
