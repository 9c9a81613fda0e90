package ggufc.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Malformed GGUF files: every one must give a GgufException naming the file and the problem,
 * quickly and without allocating more than the file's size (plus a small constant).
 */
class GgufHostileInputTest {
    private static final Path NAME = Path.of("evil.gguf");
    @TempDir Path tmp;

    /** Little-endian GGUF byte builder (sizes u32 in v1, u64 later). */
    static final class G {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int version;

        G(int version) { this.version = version; }

        static G header(int version, long tensors, long kvs) {
            G g = new G(version);
            g.u32(GgufFile.MAGIC).u32(version);
            return g.size(tensors).size(kvs);
        }

        G u8(int v) { out.write(v); return this; }
        G u32(long v) { return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array()); }
        G u64(long v) { return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }
        G size(long v) { return version == 1 ? u32(v) : u64(v); }
        G raw(byte[] b) { out.writeBytes(b); return this; }
        G str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); size(b.length); return raw(b); }
        G kv(String key, GgufValueType t) { return str(key).u32(t.id()); }
        /** a tensor info: name, n_dims, dims, type, offset */
        G tensor(String name, long[] ne, int type, long offset) {
            str(name).u32(ne.length);
            for (long d : ne) size(d);
            return u32(type).u64(offset);
        }
        G padTo(int align) { while (out.size() % align != 0) out.write(0); return this; }
        G zeros(int n) { out.writeBytes(new byte[n]); return this; }
        int length() { return out.size(); }
        byte[] bytes() { return out.toByteArray(); }
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Parses in memory; expects a GgufException naming the file and mentioning every fragment. */
    static GgufException rejects(byte[] bytes, String... fragments) {
        long before = allocated(), t0 = System.nanoTime();
        try {
            GgufFile.parse(NAME, MemorySegment.ofArray(bytes)).close();
        } catch (GgufException e) {
            long ms = (System.nanoTime() - t0) / 1_000_000, alloc = allocated() - before;
            assertTrue(e.getMessage().startsWith("evil.gguf: "), e.getMessage());
            for (String f : fragments) assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
            assertTrue(ms < 2000, "took " + ms + " ms: " + e.getMessage());
            assertTrue(alloc < bytes.length + (1 << 20), "allocated " + alloc + " bytes for a " + bytes.length + "-byte file: " + e.getMessage());
            return e;
        } catch (Throwable t) {
            throw new AssertionError("expected a GgufException, got " + t, t);
        }
        throw new AssertionError("a malformed file was accepted; expected an error mentioning " + List.of(fragments));
    }

    static GgufFile accepts(byte[] bytes) {
        return GgufFile.parse(NAME, MemorySegment.ofArray(bytes));
    }

    // ---- file level -------------------------------------------------------------------------

    @Test
    void emptyMissingAndDirectory() throws IOException {
        Path empty = Files.createFile(tmp.resolve("empty.gguf"));
        assertMessage(empty, "empty.gguf: empty file");
        assertMessage(tmp.resolve("nope.gguf"), "nope.gguf: no such file");
        Path dir = Files.createDirectory(tmp.resolve("dir.gguf"));
        assertMessage(dir, "dir.gguf: cannot read");
        rejects(new byte[0], "empty file");
        rejects(new byte[] {'G', 'G', 'U'}, "truncated");
        rejects(G.header(3, 0, 0).bytes().clone().length > 0 ? java.util.Arrays.copyOf(G.header(3, 0, 0).bytes(), 7) : null, "truncated");
    }

    private static void assertMessage(Path p, String prefix) {
        try (GgufFile f = GgufFile.open(p)) {
            fail("opened " + f.path());
        } catch (GgufException e) {
            assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        }
    }

    @Test
    void wrongMagic() {
        rejects(new G(3).raw("GGML".getBytes()).u32(3).u64(0).u64(0).bytes(), "not a GGUF file", "'GGML'");
        rejects(new G(3).raw("tjgg".getBytes()).u32(3).u64(0).u64(0).bytes(), "not a GGUF file");
        rejects(new G(3).u32(0).u32(0).bytes(), "not a GGUF file");
    }

    @Test
    void badVersions() {
        for (long v : new long[] {0, 4, 5, 0x7fffffffL, 0xffffffffL}) {
            rejects(new G(3).u32(GgufFile.MAGIC).u32(v).u64(0).u64(0).bytes(), "unsupported GGUF version " + v);
        }
        rejects(new G(3).u32(GgufFile.MAGIC).u32(0x03000000).u64(0).u64(0).bytes(), "big-endian");
    }

    @Test
    void absurdCounts() {
        rejects(G.header(3, 0, Long.MAX_VALUE).bytes(), "absurd metadata count");
        rejects(G.header(3, 0, -1).bytes(), "absurd metadata count");
        rejects(G.header(3, 1L << 40, 0).bytes(), "absurd tensor count");
        rejects(G.header(3, -5, 0).bytes(), "absurd tensor count");
        rejects(G.header(1, 0, 0xffffffffL).bytes(), "absurd metadata count");
        rejects(G.header(1, 0xffffffffL, 0).bytes(), "absurd tensor count");
        rejects(G.header(2, 3, 0).zeros(40).bytes(), "absurd tensor count");
    }

    // ---- metadata ---------------------------------------------------------------------------

    @Test
    void absurdStringLengths() {
        rejects(G.header(3, 0, 1).u64(1L << 62).zeros(16).bytes(), "metadata key #0", "claims");
        rejects(G.header(3, 0, 1).u64(-1).zeros(16).bytes(), "metadata key #0");
        rejects(G.header(3, 0, 1).u64(100).raw("abc".getBytes()).zeros(12).bytes(), "truncated", "metadata key #0");
        rejects(G.header(1, 0, 1).u32(0xfffffff0L).zeros(16).bytes(), "claims 4294967280 bytes", "metadata key #0");
        rejects(G.header(1, 0, 1).u32(0x7ff0L).zeros(16).bytes(), "truncated", "metadata key #0");
        rejects(G.header(3, 0, 1).kv("k", GgufValueType.STRING).u64(1L << 31).zeros(16).bytes(), "value of 'k'");
        rejects(G.header(3, 0, 1).kv("k", GgufValueType.STRING).u64(1L << 40).bytes(), "value of 'k'", "more than");
    }

    /** 2^31 strings claimed in a 1 MB file: rejected before anything of that size is allocated. */
    @Test
    void hugeArrayClaimsInASmallFile() {
        byte[] mb = new byte[1 << 20];
        for (GgufValueType et : GgufValueType.values()) {
            G g = G.header(3, 0, 1).kv("tokenizer.ggml.tokens", GgufValueType.ARRAY).u32(et.id()).u64(1L << 31).raw(mb);
            rejects(g.bytes(), "tokenizer.ggml.tokens", "claims 2147483648");
            rejects(G.header(3, 0, 1).kv("a", GgufValueType.ARRAY).u32(et.id()).u64(Long.MAX_VALUE).raw(mb).bytes(), "'a'");
            rejects(G.header(1, 0, 1).kv("a", GgufValueType.ARRAY).u32(et.id()).u32(0xffffffffL).raw(mb).bytes(), "'a'");
        }
        // claims that fit the byte count but not the string/array headers inside it
        rejects(G.header(3, 0, 1).kv("s", GgufValueType.ARRAY).u32(GgufValueType.STRING.id()).u64(3).u64(1L << 50).zeros(32).bytes(), "element #0 of 's'");
        rejects(G.header(3, 0, 1).kv("n", GgufValueType.ARRAY).u32(GgufValueType.ARRAY.id()).u64(2)
                .u32(GgufValueType.UINT64.id()).u64(1L << 40).zeros(24).bytes(), "'n'", "claims");
    }

    @Test
    void nestedArraysTooDeep() {
        G g = G.header(3, 0, 1).kv("deep", GgufValueType.ARRAY);
        for (int i = 0; i < 12; i++) g.u32(GgufValueType.ARRAY.id()).u64(1);
        g.u32(GgufValueType.UINT8.id()).u64(0).zeros(64);
        rejects(g.bytes(), "deeper than 8");
    }

    @Test
    void unknownValueTypes() {
        rejects(G.header(3, 0, 1).kv("k", GgufValueType.UINT8).bytes(), "truncated");
        rejects(G.header(3, 0, 1).kv("k", GgufValueType.UINT64).u32(0).bytes(), "truncated");
        rejects(G.header(3, 0, 1).str("k").u32(13).zeros(8).bytes(), "'k' has unknown value type 13");
        rejects(G.header(3, 0, 1).str("k").u32(0xffffffffL).zeros(8).bytes(), "unknown value type 4294967295");
        rejects(G.header(3, 0, 1).kv("k", GgufValueType.ARRAY).u32(99).u64(0).bytes(), "array of unknown type 99");
        rejects(G.header(3, 0, 1).kv("b", GgufValueType.BOOL).u8(2).bytes(), "invalid bool byte 2");
        rejects(G.header(3, 0, 1).kv("b", GgufValueType.ARRAY).u32(GgufValueType.BOOL.id()).u64(2).u8(1).u8(7).bytes(), "invalid bool byte 7");
    }

    @Test
    void duplicateAndEmptyKeys() {
        rejects(G.header(3, 0, 2).kv("k", GgufValueType.UINT8).u8(1).kv("k", GgufValueType.UINT8).u8(2).bytes(), "duplicate metadata key 'k'");
        rejects(G.header(3, 0, 1).kv("", GgufValueType.UINT8).u8(1).bytes(), "is empty");
    }

    @Test
    void badAlignment() {
        rejects(G.header(3, 0, 1).kv("general.alignment", GgufValueType.UINT32).u32(48).bytes(), "general.alignment 48 is not a power of two");
        rejects(G.header(3, 0, 1).kv("general.alignment", GgufValueType.UINT32).u32(0).bytes(), "general.alignment 0");
        rejects(G.header(3, 0, 1).kv("general.alignment", GgufValueType.INT32).u32(-64).bytes(), "general.alignment -64");
        rejects(G.header(3, 0, 1).kv("general.alignment", GgufValueType.UINT64).u64(1L << 40).bytes(), "general.alignment");
        rejects(G.header(3, 0, 1).kv("general.alignment", GgufValueType.STRING).str("32").bytes(), "general.alignment must be an integer");
        rejects(G.header(3, 0, 1).kv("general.alignment", GgufValueType.FLOAT32).u32(Float.floatToIntBits(32f)).bytes(), "must be an integer");
        try (GgufFile f = accepts(G.header(3, 0, 1).kv("general.alignment", GgufValueType.UINT32).u32(1).bytes())) {
            assertEquals(1, f.alignment());
        }
    }

    // ---- tensor infos -----------------------------------------------------------------------

    /** a file with one F32 tensor info {@code ne}, type, offset, then data padded to 32 */
    private static byte[] oneTensor(int version, long[] ne, int type, long offset, int dataBytes) {
        G g = G.header(version, 1, 0).tensor("w", ne, type, offset).padTo(32);
        return g.zeros(dataBytes).bytes();
    }

    @Test
    void badDimensions() {
        rejects(G.header(3, 1, 0).str("w").u32(5).zeros(64).bytes(), "'w' has 5 dimensions");
        rejects(G.header(3, 1, 0).str("w").u32(0xffffffffL).zeros(64).bytes(), "4294967295 dimensions");
        rejects(oneTensor(3, new long[] {1L << 40, 1L << 40}, 0, 0, 64), "too many elements");
        rejects(oneTensor(3, new long[] {-1, 4}, 0, 0, 64), "absurd dimension 0");
        rejects(oneTensor(3, new long[] {1L << 31, 1L << 31, 1L << 31}, 0, 0, 64), "too many elements");
        rejects(oneTensor(3, new long[] {1L << 40}, 0, 0, 64), "runs past the end");
        rejects(oneTensor(1, new long[] {0xffffffffL, 0xffffffffL, 0xffffffffL}, 0, 0, 64), "too many elements");
        rejects(oneTensor(3, new long[] {31, 2}, 8, 0, 128), "62 elements, not a multiple of the Q8_0 block size 32");
        // ggml allows scalars (0 dims) and empty tensors (a zero dim)
        try (GgufFile f = accepts(oneTensor(3, new long[] {}, 0, 0, 32))) {
            assertEquals(1, f.tensors().get(0).elements());
        }
        try (GgufFile f = accepts(oneTensor(3, new long[] {0, 7}, 0, 0, 0))) {
            assertEquals(0, f.tensors().get(0).byteSize());
        }
    }

    @Test
    void unknownTensorTypes() {
        rejects(oneTensor(3, new long[] {256}, 16, 0, 512), "unsupported ggml type id 16 (IQ2_XXS)", "supported: F32");
        rejects(oneTensor(3, new long[] {256}, 23, 0, 512), "(IQ4_XS)");
        rejects(oneTensor(3, new long[] {256}, 39, 0, 512), "(MXFP4)");
        rejects(oneTensor(3, new long[] {256}, 4, 0, 512), "removed");
        rejects(oneTensor(3, new long[] {256}, 77, 0, 512), "id 77 (not a ggml type)");
        rejects(oneTensor(3, new long[] {256}, -1, 0, 512), "id 4294967295");
    }

    @Test
    void badOffsets() {
        rejects(oneTensor(3, new long[] {8}, 0, 64, 32), "runs past the end");
        rejects(oneTensor(3, new long[] {8}, 0, 4, 64), "offset 4 is not a multiple of the alignment 32");
        rejects(oneTensor(3, new long[] {8}, 0, -32, 64), "offset 18446744073709551584");
        rejects(oneTensor(3, new long[] {8}, 0, Long.MAX_VALUE - 30, 64), "alignment");
        rejects(oneTensor(3, new long[] {8}, 0, (Long.MAX_VALUE / 32) * 32, 64), "runs past the end");
        rejects(oneTensor(3, new long[] {9}, 0, 0, 32), "runs past the end"); // 36 bytes, 32 present
        // overlapping data
        G g = G.header(3, 2, 0).tensor("a", new long[] {16}, 0, 0).tensor("b", new long[] {8}, 0, 32).padTo(32).zeros(128);
        rejects(g.bytes(), "'a'", "'b'", "overlap");
        g = G.header(3, 2, 0).tensor("a", new long[] {8}, 0, 0).tensor("b", new long[] {8}, 0, 0).padTo(32).zeros(64);
        rejects(g.bytes(), "overlap");
        // duplicate names
        g = G.header(3, 2, 0).tensor("a", new long[] {8}, 0, 0).tensor("a", new long[] {8}, 0, 32).padTo(32).zeros(64);
        rejects(g.bytes(), "duplicate tensor name 'a'");
        // gaps between tensors are fine, as is a data offset past the end when there are no tensors
        g = G.header(3, 2, 0).tensor("a", new long[] {8}, 0, 64).tensor("b", new long[] {8}, 0, 0).padTo(32).zeros(96);
        try (GgufFile f = accepts(g.bytes())) {
            assertEquals(64, f.tensor("a").offset());
        }
        try (GgufFile f = accepts(G.header(3, 0, 1).kv("k", GgufValueType.UINT8).u8(1).bytes())) {
            assertTrue(f.dataOffset() > f.fileSize());
        }
    }

    // ---- truncation of real files -----------------------------------------------------------

    /** Every prefix of the smallest real model file (327,648 of them) fails cleanly. */
    @Test
    void everyPrefixOfTheQ8FileIsRejected() throws IOException {
        checkPrefixes(TestFiles.STORIES_Q8_V2, true);
    }

    /**
     * The two 1.2 MB files: every prefix through the header and the first 4 KiB of data, every
     * length within 2 bytes of a tensor's start and end, and every 997th length (a full sweep
     * re-parses the same header 1.2 million times; the Q8_0 test above does that).
     */
    @ParameterizedTest
    @ValueSource(strings = {TestFiles.STORIES_V3, TestFiles.STORIES_V1})
    void prefixesOfTheF32FilesAreRejected(String name) throws IOException {
        checkPrefixes(name, false);
    }

    private static void checkPrefixes(String name, boolean all) throws IOException {
        Path p = TestFiles.model(name);
        byte[] bytes = Files.readAllBytes(p);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        List<Long> lengths = new ArrayList<>();
        try (GgufFile f = GgufFile.open(p)) {
            if (all) {
                for (long n = 0; n < bytes.length; n++) lengths.add(n);
            } else {
                for (long n = 0; n < f.dataOffset() + 4096; n++) lengths.add(n);
                for (GgufTensorInfo t : f.tensors()) {
                    for (long d = -2; d <= 2; d++) {
                        lengths.add(f.dataOffset() + t.offset() + d);
                        lengths.add(f.dataOffset() + t.offset() + t.byteSize() + d);
                    }
                }
                for (long n = 0; n < bytes.length; n += 997) lengths.add(n);
            }
        }
        long checked = 0;
        Path named = Path.of(name);
        for (long n : lengths.stream().mapToLong(Long::longValue).filter(n -> n >= 0 && n < bytes.length).toArray()) {
            try (GgufFile f = GgufFile.parse(named, seg.asSlice(0, n))) {
                throw new AssertionError(name + " truncated to " + n + " bytes was accepted");
            } catch (GgufException e) {
                String m = e.getMessage();
                if (!m.startsWith(name + ": ") || !(m.contains("truncated") || m.contains("empty file"))) {
                    throw new AssertionError(name + " truncated to " + n + " bytes: unexpected message " + m);
                }
                checked++;
            }
        }
        assertTrue(checked > (all ? bytes.length - 1 : 15000), "checked " + checked);
        try (GgufFile f = GgufFile.parse(named, seg)) {
            assertEquals(48, f.tensors().size());
        }
    }

    @Test
    void truncatedTensorDataOnDisk() throws IOException {
        Path src = TestFiles.model(TestFiles.STORIES_V3);
        byte[] b = Files.readAllBytes(src);
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, java.util.Arrays.copyOf(b, b.length - 1));
        assertMessage(cut, "cut.gguf: tensor 'blk.4.ffn_norm.weight'");
    }
}
