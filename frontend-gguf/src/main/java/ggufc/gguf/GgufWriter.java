package ggufc.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Writes GGUF files: v3 by default, v2 and v1 (u32 counts, lengths and dims) for tests of old
 * readers. Metadata keeps insertion order; tensors are laid out in the order added, each at an
 * offset that is a multiple of the alignment ({@code general.alignment}, default 32) and padded
 * with zeros to the alignment, as ggml's {@code gguf_write_to_file} does. The output is memory
 * mapped and filled in place, so tensors can be produced straight into the file
 * ({@link #tensor(String, GgmlType, long[], Consumer)}) without holding them in memory.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .put("general.architecture", GgufValue.of("llama"))
 *     .tensor("token_embd.weight", GgmlType.F32, new long[] {64, 512}, bytes)
 *     .write(path);
 * }</pre>
 */
public final class GgufWriter {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** ggml's GGML_MAX_NAME is 64 bytes including the terminating NUL. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;

    private final int version;
    private final LinkedHashMap<String, GgufValue> metadata = new LinkedHashMap<>();
    private final LinkedHashMap<String, PendingTensor> tensors = new LinkedHashMap<>();

    /** One tensor to write: its info and how to produce exactly {@code byteSize} bytes. */
    private record PendingTensor(String name, GgmlType type, long[] ne, long byteSize, Consumer<MemorySegment> fill) {}

    public GgufWriter() { this(3); }

    public GgufWriter(int version) {
        if (version < 1 || version > 3) throw new IllegalArgumentException("GGUF version " + version + " (1, 2 or 3)");
        this.version = version;
    }

    /** A writer holding all metadata and tensors of {@code f} (tensor bytes are slices of its mapping). */
    public static GgufWriter copyOf(GgufFile f) { return copyOf(f, f.version()); }

    public static GgufWriter copyOf(GgufFile f, int version) {
        GgufWriter w = new GgufWriter(version);
        for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
            // our reader takes any integer type for the alignment; ggml (and so this writer) wants UINT32
            w.put(e.getKey(), e.getKey().equals("general.alignment") ? GgufValue.u32(f.alignment()) : e.getValue());
        }
        for (GgufTensorInfo t : f.tensors()) w.tensor(t.name(), t.ggmlType(), t.ne(), f.tensorData(t));
        return w;
    }

    public int version() { return version; }

    /** Adds or replaces a metadata value (a replaced key keeps its position). */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
        String problem = value.problem();
        if (problem != null) throw new IllegalArgumentException("metadata '" + key + "': " + problem);
        if (version == 1 && usesV2Types(value)) {
            throw new IllegalArgumentException("metadata '" + key + "': GGUF v1 has no 64-bit value types (" + value.type() + ")");
        }
        if (key.equals("general.alignment")) {
            if (value.type() != GgufValueType.UINT32) throw new IllegalArgumentException("general.alignment must be UINT32, got " + value.type());
            long a = (Long) value.value();
            if (a == 0 || Long.bitCount(a) != 1) throw new IllegalArgumentException("general.alignment " + a + " is not a power of two");
        }
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** Sets {@code general.alignment} (a power of two). */
    public GgufWriter alignment(long alignment) { return put("general.alignment", GgufValue.u32(alignment)); }

    public long alignment() {
        GgufValue a = metadata.get("general.alignment");
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : (Long) a.value();
    }

    public Map<String, GgufValue> metadata() { return Collections.unmodifiableMap(metadata); }

    /** Adds a tensor whose bytes ({@code type}'s layout, exactly the size the shape needs) are in {@code data}. */
    public GgufWriter tensor(String name, GgmlType type, long[] ne, MemorySegment data) {
        long size = byteSize(name, type, ne);
        if (data.byteSize() != size) {
            throw new IllegalArgumentException("tensor '" + name + "' " + type + " " + Arrays.toString(ne) + " needs " + size + " bytes, got " + data.byteSize());
        }
        return add(new PendingTensor(name, type, ne.clone(), size, dst -> MemorySegment.copy(data, 0, dst, 0, size)));
    }

    /**
     * Adds a tensor produced at write time: {@code fill} receives a zeroed, writable segment of
     * exactly the tensor's byte size, inside the output file, and must fill it.
     */
    public GgufWriter tensor(String name, GgmlType type, long[] ne, Consumer<MemorySegment> fill) {
        return add(new PendingTensor(name, type, ne.clone(), byteSize(name, type, ne), Objects.requireNonNull(fill)));
    }

    private GgufWriter add(PendingTensor t) {
        if (tensors.containsKey(t.name())) throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
        tensors.put(t.name(), t);
        return this;
    }

    private long byteSize(String name, GgmlType type, long[] ne) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' must have 1 to " + MAX_TENSOR_NAME_BYTES + " bytes (ggml's limit)");
        }
        if (ne.length > 4) throw new IllegalArgumentException("tensor '" + name + "' has " + ne.length + " dimensions (at most 4)");
        long n = 1;
        for (long d : ne) {
            if (d < 0 || (version == 1 && d > 0xffffffffL)) throw new IllegalArgumentException("tensor '" + name + "' has dimension " + d);
            n = Math.multiplyExact(n, d);
        }
        return type.dtype().bytesFor(n);
    }

    public List<String> tensorNames() { return List.copyOf(tensors.keySet()); }

    /** Writes the file (to a temporary sibling first, then moved into place). */
    public void write(Path out) {
        byte[] header = header();
        long align = alignment();
        long dataStart = pad(header.length, align);
        long total = dataStart;
        for (PendingTensor t : tensors.values()) total += pad(t.byteSize(), align);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofConfined()) {
                MemorySegment map = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
                MemorySegment.copy(header, 0, map, ValueLayout.JAVA_BYTE, 0, header.length);
                long off = dataStart;
                for (PendingTensor t : tensors.values()) {
                    t.fill().accept(map.asSlice(off, t.byteSize()));
                    off += pad(t.byteSize(), align);
                }
                map.force();
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* best effort */ }
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }

    /**
     * Writes only the header (metadata and tensor infos with the offsets {@link #write} would give), no data
     * section: a file of kilobytes for a model of gigabytes, which {@link GgufFile#openHeader} reads. No fill is called.
     */
    public void writeHeader(Path out) {
        try {
            Files.write(out, header());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }

    /** The header bytes: magic, version, counts, metadata and tensor infos (before alignment padding). */
    byte[] header() {
        Buf b = new Buf();
        b.i32(GgufFile.MAGIC);
        b.i32(version);
        b.size(tensors.size());
        b.size(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            b.string(e.getKey());
            b.i32(e.getValue().type().id());
            value(b, e.getValue());
        }
        long align = alignment();
        long off = 0;
        for (PendingTensor t : tensors.values()) {
            b.string(t.name());
            b.i32(t.ne().length);
            for (long d : t.ne()) b.size(d);
            b.i32(t.type().id());
            b.i64(off);
            off += pad(t.byteSize(), align);
        }
        return b.toArray();
    }

    private void value(Buf b, GgufValue v) {
        Object o = v.value();
        switch (v.type()) {
            case UINT8, INT8 -> b.i8((Integer) o);
            case UINT16, INT16 -> b.i16((Integer) o);
            case UINT32 -> b.i32((int) (long) (Long) o);
            case INT32 -> b.i32((Integer) o);
            case FLOAT32 -> b.i32(Float.floatToRawIntBits((Float) o));
            case BOOL -> b.i8((Boolean) o ? 1 : 0);
            case STRING -> b.string((String) o);
            case UINT64, INT64 -> b.i64((Long) o);
            case FLOAT64 -> b.i64(Double.doubleToRawLongBits((Double) o));
            case ARRAY -> array(b, v);
        }
    }

    /** Element type, count, elements: the body of an array value (also of a nested one). */
    private void array(Buf b, GgufValue v) {
        GgufValueType et = v.elementType();
        b.i32(et.id());
        b.size(v.length());
        switch (v.value()) {
            case int[] a -> {
                for (int x : a) {
                    if (et.size == 1) b.i8(x);
                    else if (et.size == 2) b.i16(x);
                    else b.i32(x);
                }
            }
            case long[] a -> {
                for (long x : a) {
                    if (et == GgufValueType.UINT32) b.i32((int) x);
                    else b.i64(x);
                }
            }
            case float[] a -> { for (float x : a) b.i32(Float.floatToRawIntBits(x)); }
            case double[] a -> { for (double x : a) b.i64(Double.doubleToRawLongBits(x)); }
            case boolean[] a -> { for (boolean x : a) b.i8(x ? 1 : 0); }
            case List<?> l -> {
                for (Object x : l) {
                    if (et == GgufValueType.STRING) b.string((String) x);
                    else array(b, (GgufValue) x);
                }
            }
            default -> throw new IllegalStateException("bad array representation " + v.value().getClass());
        }
    }

    private static boolean usesV2Types(GgufValue v) {
        GgufValueType t = v.isArray() ? v.elementType() : v.type();
        if (t == GgufValueType.UINT64 || t == GgufValueType.INT64 || t == GgufValueType.FLOAT64) return true;
        if (t == GgufValueType.ARRAY) {
            for (Object o : (List<?>) v.value()) if (usesV2Types((GgufValue) o)) return true;
        }
        return false;
    }

    static long pad(long n, long align) { return (n + align - 1) / align * align; }

    /** Little-endian growable byte buffer; sizes are u32 in v1, u64 later. */
    private final class Buf {
        private byte[] a = new byte[4096];
        private int n;

        private void ensure(long more) {
            if (n + more > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("GGUF header larger than 2 GiB");
            if (n + more > a.length) a = Arrays.copyOf(a, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(a.length * 2L, n + more)));
        }

        void i8(int v) { ensure(1); a[n++] = (byte) v; }
        void i16(int v) { ensure(2); a[n++] = (byte) v; a[n++] = (byte) (v >> 8); }
        void i32(int v) { ensure(4); MemorySegment.ofArray(a).set(I32, n, v); n += 4; }
        void i64(long v) { ensure(8); MemorySegment.ofArray(a).set(I64, n, v); n += 8; }

        void size(long v) {
            if (version == 1) {
                if (v < 0 || v > 0xffffffffL) throw new IllegalArgumentException("GGUF v1 cannot store the size " + v + " in 32 bits");
                i32((int) v);
            } else {
                i64(v);
            }
        }

        void string(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            size(u.length);
            ensure(u.length);
            System.arraycopy(u, 0, a, n, u.length);
            n += u.length;
        }

        byte[] toArray() { return Arrays.copyOf(a, n); }
    }

    /** Tensor infos in write order, with the data offsets {@link #write} will use (for tests and tools). */
    public List<GgufTensorInfo> plannedTensors() {
        List<GgufTensorInfo> r = new ArrayList<>();
        long off = 0;
        for (PendingTensor t : tensors.values()) {
            r.add(new GgufTensorInfo(t.name(), t.ne().clone(), t.type(), off, t.byteSize()));
            off += pad(t.byteSize(), alignment());
        }
        return r;
    }
}
