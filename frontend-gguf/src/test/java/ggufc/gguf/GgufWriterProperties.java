package ggufc.gguf;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Random metadata (every value type, nested arrays) and tensors: write, read back, compare. */
class GgufWriterProperties {
    private static Path dir;

    @BeforeContainer
    static void makeDir() throws IOException { dir = Files.createTempDirectory("gguf-rt"); }

    @AfterContainer
    static void removeDir() throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }

    record Spec(String name, GgmlType type, long[] ne, byte[] data) {}

    @Property(tries = 150)
    void writeThenReadGivesTheSameFile(@ForAll @IntRange(min = 1, max = 3) int version,
                                       @ForAll long seed) throws IOException {
        // derive the case from one seed so that each try is cheap to shrink and reproduce
        java.util.Random r = new java.util.Random(seed);
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        int nkv = r.nextInt(14);
        for (int i = 0; i < nkv; i++) meta.put("k" + i + "." + word(r), value(r, version == 1, 0));
        long align = new long[] {1, 8, 16, 32, 32, 64, 256}[r.nextInt(7)];
        if (r.nextBoolean()) meta.put("general.alignment", GgufValue.u32(align));
        else align = 32;
        List<Spec> specs = new ArrayList<>();
        int nt = r.nextInt(6);
        GgmlType[] types = GgmlType.values();
        for (int i = 0; i < nt; i++) {
            GgmlType t = types[r.nextInt(types.length)];
            int nd = r.nextInt(5);
            long[] ne = new long[nd];
            for (int d = 0; d < nd; d++) ne[d] = d == 0 ? (long) t.blockSize() * (r.nextInt(3)) : 1 + r.nextInt(3);
            long n = 1;
            for (long d : ne) n *= d;
            if (n % t.blockSize() != 0) continue; // scalar of a block type
            byte[] data = new byte[(int) t.dtype().bytesFor(n)];
            r.nextBytes(data);
            specs.add(new Spec("t" + i + "." + word(r), t, ne, data));
        }
        GgufWriter w = new GgufWriter(version).putAll(meta);
        for (Spec s : specs) w.tensor(s.name(), s.type(), s.ne(), MemorySegment.ofArray(s.data()));
        Path p = dir.resolve("rt-" + seed + ".gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(version, f.version());
            assertEquals(align, f.alignment());
            assertEquals(List.copyOf(meta.keySet()), List.copyOf(f.metadata().keySet()));
            assertEquals(meta, f.metadata());
            assertEquals(specs.size(), f.tensors().size());
            for (int i = 0; i < specs.size(); i++) {
                Spec s = specs.get(i);
                GgufTensorInfo t = f.tensors().get(i);
                assertEquals(s.name(), t.name());
                assertEquals(s.type(), t.ggmlType());
                assertArrayEquals(s.ne(), t.ne());
                assertEquals(0, (f.dataOffset() + t.offset()) % align);
                assertArrayEquals(s.data(), f.tensorData(t).toArray(ValueLayout.JAVA_BYTE));
            }
            long expected = GgufWriter.pad(w.header().length, align);
            for (Spec s : specs) expected += GgufWriter.pad(s.data().length, align);
            assertEquals(expected, f.fileSize());
        } finally {
            Files.delete(p);
        }
    }

    private static String word(java.util.Random r) {
        int n = 1 + r.nextInt(12);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append("abcdefghijklmnopqrstuvwxyz_.0123456789".charAt(r.nextInt(38)));
        return sb.toString();
    }

    private static String text(java.util.Random r) {
        int n = r.nextInt(r.nextInt(10) == 0 ? 300 : 12);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int cp;
            switch (r.nextInt(4)) {
                case 0 -> cp = 0x20 + r.nextInt(95);
                case 1 -> cp = r.nextInt(0x800);
                case 2 -> cp = 0x1F300 + r.nextInt(0x300); // astral: surrogate pairs in Java
                default -> { do cp = r.nextInt(0x10000); while (cp >= 0xD800 && cp <= 0xDFFF); }
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    private static float anyFloat(java.util.Random r) {
        return r.nextInt(4) == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) r.nextGaussian();
    }

    private static GgufValue value(java.util.Random r, boolean v1, int depth) {
        GgufValueType[] all = GgufValueType.values();
        GgufValueType t;
        do t = all[r.nextInt(all.length)];
        while ((v1 && (t == GgufValueType.UINT64 || t == GgufValueType.INT64 || t == GgufValueType.FLOAT64)));
        if (t == GgufValueType.ARRAY) return array(r, v1, depth);
        return scalar(r, t);
    }

    private static GgufValue scalar(java.util.Random r, GgufValueType t) {
        return switch (t) {
            case UINT8 -> GgufValue.u8(r.nextInt(256));
            case INT8 -> GgufValue.i8(r.nextInt(256) - 128);
            case UINT16 -> GgufValue.u16(r.nextInt(65536));
            case INT16 -> GgufValue.i16(r.nextInt(65536) - 32768);
            case UINT32 -> GgufValue.u32(Integer.toUnsignedLong(r.nextInt()));
            case INT32 -> GgufValue.i32(r.nextInt());
            case UINT64 -> GgufValue.u64(r.nextLong());
            case INT64 -> GgufValue.i64(r.nextLong());
            case FLOAT32 -> GgufValue.f32(anyFloat(r));
            case FLOAT64 -> GgufValue.f64(r.nextInt(4) == 0 ? Double.longBitsToDouble(r.nextLong()) : r.nextGaussian());
            case BOOL -> GgufValue.bool(r.nextBoolean());
            case STRING -> GgufValue.of(text(r));
            case ARRAY -> throw new AssertionError();
        };
    }

    private static GgufValue array(java.util.Random r, boolean v1, int depth) {
        int n = r.nextInt(r.nextInt(8) == 0 ? 400 : 6);
        GgufValueType[] all = GgufValueType.values();
        GgufValueType et;
        do et = all[r.nextInt(all.length)];
        while ((v1 && (et == GgufValueType.UINT64 || et == GgufValueType.INT64 || et == GgufValueType.FLOAT64))
                || (et == GgufValueType.ARRAY && depth >= 2));
        final GgufValueType e = et;
        return switch (e) {
            case UINT8, INT8, UINT16, INT16, INT32 -> GgufValue.array(e, IntStream.range(0, n).map(i -> (Integer) scalar(r, e).value()).toArray());
            case UINT32, UINT64, INT64 -> GgufValue.array(e, IntStream.range(0, n).mapToLong(i -> (Long) scalar(r, e).value()).toArray());
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) a[i] = anyFloat(r);
                yield GgufValue.floats(a);
            }
            case FLOAT64 -> GgufValue.doubles(IntStream.range(0, n).mapToDouble(i -> r.nextGaussian()).toArray());
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) a[i] = r.nextBoolean();
                yield GgufValue.bools(a);
            }
            case STRING -> GgufValue.strings(IntStream.range(0, n).mapToObj(i -> text(r)).toList());
            case ARRAY -> GgufValue.nested(IntStream.range(0, Math.min(n, 5)).mapToObj(i -> array(r, v1, depth + 1)).toList());
        };
    }
}
