package ggufc.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufWriterTest {
    @TempDir Path tmp;

    /** Writing back a real file's metadata and tensors (same version) gives a file we read identically. */
    @ParameterizedTest
    @ValueSource(strings = {TestFiles.STORIES_V3, TestFiles.STORIES_V1, TestFiles.STORIES_Q8_V2,
            "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-llama-spm.gguf"})
    void writesBackRealFilesIdentically(String name) throws IOException {
        Path src = TestFiles.model(name);
        Path out = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter.copyOf(f).write(out);
            try (GgufFile g = GgufFile.open(out)) {
                assertSameContent(f, g);
            }
            // and in every other version that can hold the metadata
            for (int v = 2; v <= 3; v++) {
                GgufWriter.copyOf(f, v).write(out);
                try (GgufFile g = GgufFile.open(out)) {
                    assertEquals(v, g.version());
                    assertSameContent(f, g);
                }
            }
        }
        // our layout is ggml's: the files made by ggml's writer come back byte for byte up to the
        // end of the last tensor (ggml pads the last tensor to the alignment, older writers did not)
        byte[] a = Files.readAllBytes(src), b = Files.readAllBytes(out);
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter.copyOf(f).write(out);
            b = Files.readAllBytes(out);
            long end = f.tensors().isEmpty() ? a.length
                    : f.tensors().stream().mapToLong(t -> f.dataOffset() + t.offset() + t.byteSize()).max().orElseThrow();
            if (!f.tensors().isEmpty() || name.startsWith("vocab/")) {
                assertArrayEquals(java.util.Arrays.copyOf(a, (int) Math.min(end, a.length)), java.util.Arrays.copyOf(b, (int) Math.min(end, a.length)),
                        name + ": re-written bytes differ from the original");
            }
        }
    }

    static void assertSameContent(GgufFile f, GgufFile g) {
        assertEquals(List.copyOf(f.metadata().keySet()), List.copyOf(g.metadata().keySet()));
        assertEquals(f.metadata(), g.metadata());
        assertEquals(f.alignment(), g.alignment());
        assertEquals(f.tensors().size(), g.tensors().size());
        for (int i = 0; i < f.tensors().size(); i++) {
            GgufTensorInfo a = f.tensors().get(i), b = g.tensors().get(i);
            assertEquals(a.name(), b.name());
            assertEquals(a.ggmlType(), b.ggmlType());
            assertArrayEquals(a.ne(), b.ne());
            assertEquals(f.tensorData(a).mismatch(g.tensorData(b)), -1L, a.name() + " bytes differ");
        }
    }

    @Test
    void rejectsWhatReadersCannotTake() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.put("", GgufValue.of("x")));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", new GgufValue(GgufValueType.UINT8, null, 300)));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", new GgufValue(GgufValueType.UINT32, null, 3)));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(48));
        assertThrows(IllegalArgumentException.class, () -> w.put("general.alignment", GgufValue.i32(32)));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter(1).put("k", GgufValue.u64(1)));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter(4));
        assertThrows(IllegalArgumentException.class, () -> w.tensor("t", GgmlType.F32, new long[] {4}, MemorySegment.ofArray(new byte[12])));
        assertThrows(IllegalArgumentException.class, () -> w.tensor("t", GgmlType.Q8_0, new long[] {31}, MemorySegment.ofArray(new byte[34])));
        assertThrows(IllegalArgumentException.class, () -> w.tensor("x".repeat(64), GgmlType.F32, new long[] {1}, MemorySegment.ofArray(new byte[4])));
        assertThrows(IllegalArgumentException.class, () -> w.tensor("t", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, MemorySegment.ofArray(new byte[4])));
        w.tensor("t", GgmlType.F32, new long[] {1}, MemorySegment.ofArray(new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.tensor("t", GgmlType.F32, new long[] {1}, MemorySegment.ofArray(new byte[4])));
    }

    @Test
    void fillCallbackWritesStraightIntoTheFile() {
        Path out = tmp.resolve("fill.gguf");
        new GgufWriter().alignment(64)
                .put("a", GgufValue.nested(List.of(GgufValue.ints(new int[] {1, 2}), GgufValue.strings(List.of("x", "yz")))))
                .tensor("ones", GgmlType.F32, new long[] {3, 2}, seg -> {
                    for (int i = 0; i < 6; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, 1f);
                })
                .tensor("scalar", GgmlType.F32, new long[] {}, seg -> seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 7f))
                .write(out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
            assertEquals(64, f.tensor("scalar").offset());
            assertEquals(7f, f.tensorData(f.tensor("scalar")).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
            assertEquals(0, f.tensor("scalar").ne().length);
            assertTrue(f.value("a").isArray());
            assertEquals(GgufValueType.ARRAY, f.value("a").elementType());
            assertEquals(List.of("x", "yz"), ((GgufValue) ((List<?>) f.value("a").value()).get(1)).value());
        }
    }
}
