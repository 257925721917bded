package org.vim4j.io.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vim4j.VimException;
import org.vim4j.io.Fixtures;

class ZipDirectoryTest {
    @Test
    void storedEntriesAreSlicesAtTheirDataOffset() {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("p/data.pkl", new byte[] {1, 2, 3});
        entries.put("p/data/0", Fixtures.f32(1.5f, 2.5f));
        MemorySegment zip = MemorySegment.ofArray(Fixtures.zip(entries));
        ZipDirectory dir = ZipDirectory.read("z", zip);
        assertEquals(entries.keySet(), dir.entries().keySet());
        MemorySegment s = dir.stored(dir.get("p/data/0"), "storage");
        assertArrayEquals(Fixtures.f32(1.5f, 2.5f), s.toArray(ValueLayout.JAVA_BYTE));
        assertEquals(zip.address() + dir.get("p/data/0").dataOffset(), s.address(), "no copy");
        assertArrayEquals(new byte[] {1, 2, 3}, dir.small(dir.get("p/data.pkl"), 10, "pickle").toArray(ValueLayout.JAVA_BYTE));
        VimException big = assertThrows(VimException.class, () -> dir.small(dir.get("p/data/0"), 4, "pickle"));
        assertTrue(big.getMessage().contains("is 8 bytes; vim4j accepts at most 4"), big.getMessage());
    }

    @Test
    void readsZip64EndRecords() {
        // More than 65535 entries makes java.util.zip write a ZIP64 end-of-directory record.
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < 70_000; i++) {
            entries.put("e/" + i, new byte[0]);
        }
        ZipDirectory dir = ZipDirectory.read("z64", MemorySegment.ofArray(Fixtures.zip(entries)));
        assertEquals(70_000, dir.entries().size());
        assertEquals(0, dir.stored(dir.get("e/69999"), "x").byteSize());
    }
}
