package ggufc.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (v1, v2, v3) mapped into memory. Tensor data is never copied: {@link #tensorData}
 * returns a slice of the mapping. Every count, length and offset read from the file is checked
 * against the file size before anything is allocated, so a hostile header fails fast with a
 * {@link GgufException} naming the file and the problem.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little endian
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    /** ggml's GGUF_MAX_STRING_LENGTH (1 GiB). */
    private static final long MAX_STRING = 1L << 30;
    /** Java arrays hold at most about 2^31 elements. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final long alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Cursor c = new Cursor();
        if (file.byteSize() < 8) {
            throw fail(file.byteSize() == 0 ? "empty file (0 bytes), not a GGUF file"
                    : "truncated: " + file.byteSize() + " bytes is too short for a GGUF header");
        }
        int magic = c.i32();
        if (magic != MAGIC) {
            throw fail(String.format("not a GGUF file: magic is 0x%08x ('%s'), expected 'GGUF'", magic, printable(magic)));
        }
        version = c.i32();
        if (version < 1 || version > 3) {
            String hint = Integer.reverseBytes(version) >= 1 && Integer.reverseBytes(version) <= 3
                    ? " (looks like a big-endian GGUF; only little-endian files are supported)" : "";
            throw fail("unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 1, 2, 3)" + hint);
        }
        long tensorCount = c.count("tensor count");
        long kvCount = c.count("metadata count");
        // every kv needs at least a key length and a type; every tensor info at least name length, n_dims, type, offset
        if (kvCount > c.remaining() / (c.sizeWidth() + 4)) {
            throw fail("absurd metadata count " + Long.toUnsignedString(kvCount) + " for a file of " + file.byteSize() + " bytes");
        }
        if (tensorCount > c.remaining() / (c.sizeWidth() + 4 + 4 + 8)) {
            throw fail("absurd tensor count " + Long.toUnsignedString(tensorCount) + " for a file of " + file.byteSize() + " bytes");
        }
        LinkedHashMap<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = c.pos;
            String key = c.string("metadata key #" + i);
            if (key.isEmpty()) throw fail("metadata key #" + i + " at offset " + at + " is empty");
            int typeId = c.i32();
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) throw fail("metadata '" + key + "' has unknown value type " + Integer.toUnsignedString(typeId) + " at offset " + at);
            if (kv.put(key, c.value(type, key, 0)) != null) throw fail("duplicate metadata key '" + key + "'");
        }
        metadata = Collections.unmodifiableMap(kv);
        GgufValue alignValue = kv.get("general.alignment");
        long align = DEFAULT_ALIGNMENT;
        if (alignValue != null) {
            if (alignValue.isArray() || !(alignValue.value() instanceof Integer || alignValue.value() instanceof Long)) {
                throw fail("general.alignment must be an integer (UINT32), got " + alignValue.type() + " " + alignValue);
            }
            align = ((Number) alignValue.value()).longValue();
            if (align <= 0 || Long.bitCount(align) != 1 || align > 1L << 31) {
                throw fail("general.alignment " + align + " is not a power of two in [1, 2^31]");
            }
        }
        alignment = align;
        List<GgufTensorInfo> infos = new ArrayList<>((int) tensorCount);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = c.string("tensor name #" + i);
            int nDims = c.i32();
            if (nDims < 0 || nDims > MAX_DIMS) {
                throw fail("tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions (0 to " + MAX_DIMS + " allowed)");
            }
            long[] ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.count("dimension " + d + " of tensor '" + name + "'");
                if (Math.multiplyHigh(elements, ne[d]) != 0 || elements * ne[d] < 0) {
                    throw fail("tensor '" + name + "' has too many elements (dimensions " + dims(ne, d + 1) + " overflow 64 bits)");
                }
                elements *= ne[d];
            }
            int typeId = c.i32();
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw fail("tensor '" + name + "' has unsupported ggml type id " + Integer.toUnsignedString(typeId)
                        + " (" + GgmlType.describeUnsupported(typeId) + "); supported: " + GgmlType.supportedNames());
            }
            long offset = c.i64();
            if (elements % type.blockSize() != 0) {
                throw fail("tensor '" + name + "' " + dims(ne, nDims) + " has " + elements + " elements, not a multiple of the "
                        + type + " block size " + type.blockSize());
            }
            long blocks = elements / type.blockSize();
            if (blocks > Long.MAX_VALUE / type.dtype().blockBytes()) {
                throw fail("tensor '" + name + "' " + dims(ne, nDims) + " is too large (byte size overflows 64 bits)");
            }
            GgufTensorInfo info = new GgufTensorInfo(name, ne, type, offset, blocks * type.dtype().blockBytes());
            if (byName.put(name, info) != null) throw fail("duplicate tensor name '" + name + "'");
            infos.add(info);
        }
        tensors = Collections.unmodifiableList(infos);
        tensorsByName = Collections.unmodifiableMap(byName);
        dataOffset = (c.pos + alignment - 1) / alignment * alignment;
        for (GgufTensorInfo t : infos) {
            if (t.offset() < 0 || t.offset() % alignment != 0) {
                throw fail("tensor '" + t.name() + "' offset " + Long.toUnsignedString(t.offset()) + " is not a multiple of the alignment " + alignment);
            }
            if (t.offset() > file.byteSize() - dataOffset || t.byteSize() > file.byteSize() - dataOffset - t.offset()) {
                throw fail("tensor '" + t.name() + "' (" + t.byteSize() + " bytes at data offset " + t.offset()
                        + ") runs past the end of the file (" + file.byteSize() + " bytes, data section at " + dataOffset
                        + "); the file is truncated or corrupt");
            }
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo a = byOffset.get(i - 1), b = byOffset.get(i);
            if (b.offset() < a.offset() + a.byteSize()) {
                throw fail("tensors '" + a.name() + "' (data offset " + a.offset() + ", " + a.byteSize() + " bytes) and '" + b.name()
                        + "' (data offset " + b.offset() + ") overlap");
            }
        }
    }

    private static String dims(long[] ne, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(Long.toUnsignedString(ne[i]));
        return sb.append(']').toString();
    }

    /** Maps and parses {@code path}. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.size() == 0 ? MemorySegment.ofArray(new byte[0]) : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new GgufException(path, "no such file");
        } catch (IOException e) {
            arena.close();
            throw new GgufException(path, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses GGUF bytes already in memory (or mapped by the caller, who keeps them alive);
     * {@code name} is used in error messages. {@link #close()} does not free {@code bytes}.
     */
    public static GgufFile parse(Path name, MemorySegment bytes) {
        return new GgufFile(name, null, bytes);
    }

    public Path path() { return path; }
    public int version() { return version; }
    public long alignment() { return alignment; }
    /** Absolute file offset where the tensor data section starts. */
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return file.byteSize(); }
    public Map<String, GgufValue> metadata() { return metadata; }
    public List<GgufTensorInfo> tensors() { return tensors; }

    public GgufTensorInfo tensor(String name) { return tensorsByName.get(name); }

    public boolean hasTensor(String name) { return tensorsByName.containsKey(name); }

    /** The tensor's bytes, a read-only slice of the mapping (no copy). */
    public MemorySegment tensorData(GgufTensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize()).asReadOnly();
    }

    /** The whole mapped file, read-only. */
    public MemorySegment bytes() { return file.asReadOnly(); }

    // ---- typed metadata access -------------------------------------------------------------

    public GgufValue value(String key) { return metadata.get(key); }

    public boolean has(String key) { return metadata.containsKey(key); }

    public String getString(String key) {
        Object v = require(key).value();
        if (v instanceof String s) return s;
        throw fail("metadata '" + key + "' is " + metadata.get(key).type() + ", expected a string");
    }

    public String getString(String key, String dflt) { return has(key) ? getString(key) : dflt; }

    public long getLong(String key) {
        Object v = require(key).value();
        if (v instanceof Integer || v instanceof Long) return ((Number) v).longValue();
        throw fail("metadata '" + key + "' is " + metadata.get(key).type() + ", expected an integer");
    }

    public long getLong(String key, long dflt) { return has(key) ? getLong(key) : dflt; }

    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw fail("metadata '" + key + "' = " + v + " is out of range");
        return (int) v;
    }

    public int getInt(String key, int dflt) { return has(key) ? getInt(key) : dflt; }

    /** A number as double; float32 values become the double of their shortest decimal form (1e-5f gives 1.0E-5, not 9.999999747378752E-6). */
    public double getDouble(String key) {
        Object v = require(key).value();
        if (v instanceof Float f) return Double.parseDouble(Float.toString(f));
        if (v instanceof Number n) return n.doubleValue();
        throw fail("metadata '" + key + "' is " + metadata.get(key).type() + ", expected a number");
    }

    public double getDouble(String key, double dflt) { return has(key) ? getDouble(key) : dflt; }

    public boolean getBool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        Object v = metadata.get(key).value();
        if (v instanceof Boolean b) return b;
        throw fail("metadata '" + key + "' is " + metadata.get(key).type() + ", expected a bool");
    }

    @SuppressWarnings("unchecked")
    public List<String> getStringArray(String key) {
        GgufValue v = require(key);
        if (v.isArray() && v.elementType() == GgufValueType.STRING) return (List<String>) v.value();
        throw fail("metadata '" + key + "' is not an array of strings");
    }

    public float[] getFloatArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof float[] a) return a;
        throw fail("metadata '" + key + "' is not an array of float32");
    }

    /** Integer array widened to int (8/16/32-bit element types). */
    public int[] getIntArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof int[] a) return a;
        if (v.value() instanceof long[] a) {
            int[] r = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                if (a[i] != (int) a[i]) throw fail("metadata '" + key + "' element " + i + " = " + a[i] + " does not fit in an int");
                r[i] = (int) a[i];
            }
            return r;
        }
        throw fail("metadata '" + key + "' is not an array of integers");
    }

    private GgufValue require(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) throw fail("missing metadata key '" + key + "'");
        return v;
    }

    GgufException fail(String problem) { return new GgufException(path, problem); }

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }

    private static String printable(int magic) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            int ch = (magic >>> (8 * i)) & 0xff;
            sb.append(ch >= 32 && ch < 127 ? (char) ch : '?');
        }
        return sb.toString();
    }

    /** Bounds-checked little-endian reader over the header. */
    private final class Cursor {
        long pos;

        long remaining() { return file.byteSize() - pos; }

        /** v1 stores counts, lengths and dims as u32; v2+ as u64. */
        int sizeWidth() { return version == 1 ? 4 : 8; }

        void need(long n, String what) {
            if (n < 0 || n > remaining()) {
                throw fail("truncated: " + what + " needs " + Long.toUnsignedString(n) + " bytes at offset " + pos
                        + " but the file has " + file.byteSize() + " bytes");
            }
        }

        int i32() { need(4, "a 32-bit value"); int v = file.get(I32, pos); pos += 4; return v; }
        long i64() { need(8, "a 64-bit value"); long v = file.get(I64, pos); pos += 8; return v; }

        long count(String what) {
            long v = version == 1 ? Integer.toUnsignedLong(i32()) : i64();
            if (v < 0) throw fail("absurd " + what + " " + Long.toUnsignedString(v));
            return v;
        }

        String string(String what) {
            long len = count("length of " + what);
            if (len > MAX_STRING) throw fail(what + " claims " + Long.toUnsignedString(len) + " bytes, more than the " + MAX_STRING + " allowed");
            need(len, what + " (" + Long.toUnsignedString(len) + "-byte string)");
            byte[] b = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }

        GgufValue value(GgufValueType type, String key, int depth) {
            return switch (type) {
                case UINT8 -> { need(1, key); int v = Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, pos)); pos += 1; yield new GgufValue(type, null, v); }
                case INT8 -> { need(1, key); int v = file.get(ValueLayout.JAVA_BYTE, pos); pos += 1; yield new GgufValue(type, null, v); }
                case UINT16 -> { need(2, key); int v = Short.toUnsignedInt(file.get(I16, pos)); pos += 2; yield new GgufValue(type, null, v); }
                case INT16 -> { need(2, key); int v = file.get(I16, pos); pos += 2; yield new GgufValue(type, null, v); }
                case UINT32 -> new GgufValue(type, null, Integer.toUnsignedLong(i32()));
                case INT32 -> new GgufValue(type, null, i32());
                case FLOAT32 -> { need(4, key); float v = file.get(F32, pos); pos += 4; yield new GgufValue(type, null, v); }
                case BOOL -> {
                    need(1, key);
                    int b = file.get(ValueLayout.JAVA_BYTE, pos);
                    pos += 1;
                    if (b != 0 && b != 1) throw fail("metadata '" + key + "' has invalid bool byte " + b);
                    yield new GgufValue(type, null, b == 1);
                }
                case STRING -> new GgufValue(type, null, string("value of '" + key + "'"));
                case UINT64, INT64 -> new GgufValue(type, null, i64());
                case FLOAT64 -> { need(8, key); double v = file.get(F64, pos); pos += 8; yield new GgufValue(type, null, v); }
                case ARRAY -> array(key, depth);
            };
        }

        GgufValue array(String key, int depth) {
            if (depth > 8) throw fail("metadata '" + key + "' nests arrays deeper than 8 levels");
            int elemId = i32();
            GgufValueType et = GgufValueType.byId(elemId);
            if (et == null) throw fail("metadata '" + key + "' is an array of unknown type " + elemId);
            long n = count("array length of '" + key + "'");
            long minElem = et.size > 0 ? et.size : (et == GgufValueType.STRING ? sizeWidth() : 4 + sizeWidth());
            if (n > remaining() / minElem) {
                throw fail("truncated or corrupt: metadata '" + key + "' claims " + Long.toUnsignedString(n) + " elements but only " + remaining() + " bytes remain");
            }
            if (n > MAX_ARRAY) throw fail("metadata '" + key + "' claims " + n + " elements, more than the " + MAX_ARRAY + " allowed");
            int len = (int) n;
            Object out;
            switch (et) {
                case UINT8, INT8, UINT16, INT16, INT32 -> {
                    int[] a = new int[len];
                    for (int i = 0; i < len; i++) a[i] = (Integer) value(et, key, depth).value();
                    out = a;
                }
                case UINT32, UINT64, INT64 -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) a[i] = (Long) value(et, key, depth).value();
                    out = a;
                }
                case FLOAT32 -> {
                    float[] a = new float[len];
                    for (int i = 0; i < len; i++) { a[i] = file.get(F32, pos); pos += 4; }
                    out = a;
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    for (int i = 0; i < len; i++) { a[i] = file.get(F64, pos); pos += 8; }
                    out = a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) a[i] = (Boolean) value(et, key, depth).value();
                    out = a;
                }
                case STRING -> {
                    List<String> a = new ArrayList<>(len);
                    for (int i = 0; i < len; i++) a.add(string("element " + i + " of '" + key + "'"));
                    out = Collections.unmodifiableList(a);
                }
                case ARRAY -> {
                    List<GgufValue> a = new ArrayList<>(len);
                    for (int i = 0; i < len; i++) a.add(array(key, depth + 1));
                    out = Collections.unmodifiableList(a);
                }
                default -> throw new AssertionError(et);
            }
            return new GgufValue(GgufValueType.ARRAY, et, out);
        }
    }
}
