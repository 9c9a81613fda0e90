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
 * returns a slice of the mapping ({@link GgufTensors#irTensor} gives IR tensors). Every count,
 * length and offset read from the file is checked against the bytes actually present before
 * anything is allocated, so a hostile or truncated file fails fast, in time linear in its size,
 * with a {@link GgufException} naming the file and the problem; nothing else is thrown.
 *
 * <p>Accepted as ggml does: 0 to 4 dimensions, zero-sized dimensions, any power-of-two
 * {@code general.alignment} (any integer type; ggml wants UINT32), a data offset past the end of
 * the file when there are no tensors. Beyond ggml: quantized tensors whose rows are not whole
 * blocks when the total is (old converters wrote such flat block streams; see
 * {@link GgufTensors#needsFlatDequant}), v1 files, and tensor data with gaps between tensors.
 * Rejected: overlapping tensor data, duplicate keys or tensor names, empty keys, unknown value
 * or tensor types (IQ and other unsupported ggml types are named), misaligned offsets, data past
 * the end of the file. String arrays are kept packed and decoded on first access.
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
    /** True when the file is only a header (opened with {@link #openHeader}, its data section absent). */
    private final boolean headerOnly;

    /** Metadata key that {@code ggufc synth --header-only} sets: the file holds the header and no tensor data. */
    public static final String HEADER_ONLY_KEY = "ggufc.header_only";
    /** The problem {@link #tensorData} and {@link #open} report for a header-only file. */
    public static final String HEADER_ONLY_PROBLEM = "header-only GGUF (no tensor data): use it with ggufc simulate or ggufc ir";

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this(path, arena, file, false);
    }

    private GgufFile(Path path, Arena arena, MemorySegment file, boolean allowHeaderOnly) {
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
            throw fail("truncated or corrupt: absurd metadata count " + Long.toUnsignedString(kvCount) + " (" + c.remaining()
                    + " bytes follow the header, a file of " + file.byteSize() + " bytes)");
        }
        if (tensorCount > c.remaining() / (c.sizeWidth() + 4 + 4 + 8)) {
            throw fail("truncated or corrupt: absurd tensor count " + Long.toUnsignedString(tensorCount) + " (" + c.remaining()
                    + " bytes follow the header, a file of " + file.byteSize() + " bytes)");
        }
        LinkedHashMap<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = c.pos;
            String key = c.string("metadata key #", i);
            if (key.isEmpty()) throw fail("metadata key #" + i + " at offset " + at + " is empty");
            int typeId = c.i32();
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) throw fail("metadata " + q(key) + " has unknown value type " + Integer.toUnsignedString(typeId) + " at offset " + at);
            if (kv.put(key, c.value(type, key, 0)) != null) throw fail("duplicate metadata key " + q(key));
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
            String name = c.string("tensor name #", i);
            int nDims = c.i32();
            if (nDims < 0 || nDims > MAX_DIMS) {
                throw fail("tensor " + q(name) + " has " + Integer.toUnsignedString(nDims) + " dimensions (0 to " + MAX_DIMS + " allowed)");
            }
            long[] ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = version == 1 ? Integer.toUnsignedLong(c.i32()) : c.i64();
                if (ne[d] < 0) throw fail("absurd dimension " + d + " of tensor " + q(name) + " " + Long.toUnsignedString(ne[d]));
                if (Math.multiplyHigh(elements, ne[d]) != 0 || elements * ne[d] < 0) {
                    throw fail("tensor " + q(name) + " has too many elements (dimensions " + dims(ne, d + 1) + " overflow 64 bits)");
                }
                elements *= ne[d];
            }
            int typeId = c.i32();
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw fail("tensor " + q(name) + " has unsupported ggml type id " + Integer.toUnsignedString(typeId)
                        + " (" + GgmlType.describeUnsupported(typeId) + "); supported: " + GgmlType.supportedNames());
            }
            long offset = c.i64();
            if (elements % type.blockSize() != 0) {
                throw fail("tensor " + q(name) + " " + dims(ne, nDims) + " has " + elements + " elements, not a multiple of the "
                        + type + " block size " + type.blockSize());
            }
            long blocks = elements / type.blockSize();
            if (blocks > Long.MAX_VALUE / type.dtype().blockBytes()) {
                throw fail("tensor " + q(name) + " " + dims(ne, nDims) + " is too large (byte size overflows 64 bits)");
            }
            GgufTensorInfo info = new GgufTensorInfo(name, ne, type, offset, blocks * type.dtype().blockBytes());
            if (byName.put(name, info) != null) throw fail("duplicate tensor name " + q(name));
            infos.add(info);
        }
        tensors = Collections.unmodifiableList(infos);
        tensorsByName = Collections.unmodifiableMap(byName);
        dataOffset = (c.pos + alignment - 1) / alignment * alignment;
        boolean marked = kv.get(HEADER_ONLY_KEY) != null && Boolean.TRUE.equals(kv.get(HEADER_ONLY_KEY).value());
        boolean noData = file.byteSize() <= dataOffset && infos.stream().anyMatch(t -> t.byteSize() > 0);
        headerOnly = allowHeaderOnly && (marked || noData);
        if (marked && !allowHeaderOnly && noData) throw fail(HEADER_ONLY_PROBLEM);
        for (GgufTensorInfo t : infos) {
            if (t.offset() < 0 || t.offset() % alignment != 0) {
                throw fail("tensor " + q(t.name()) + " offset " + Long.toUnsignedString(t.offset()) + " is not a multiple of the alignment " + alignment);
            }
            if (!headerOnly && (t.offset() > file.byteSize() - dataOffset || t.byteSize() > file.byteSize() - dataOffset - t.offset())) {
                throw fail("tensor " + q(t.name()) + " (" + t.byteSize() + " bytes at data offset " + t.offset()
                        + ") runs past the end of the file (" + file.byteSize() + " bytes, data section at " + dataOffset
                        + "); the file is truncated or corrupt");
            }
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo a = byOffset.get(i - 1), b = byOffset.get(i);
            if (b.offset() < a.offset() + a.byteSize()) {
                throw fail("tensors " + q(a.name()) + " (data offset " + a.offset() + ", " + a.byteSize() + " bytes) and '" + b.name()
                        + "' (data offset " + b.offset() + ") overlap");
            }
        }
    }

    /**
     * A name quoted for an error message: non-printable characters escaped and long names cut
     * (a corrupt length can make a "name" swallow megabytes of binary data).
     */
    static String q(String s) {
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(s.length(), 120);
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            if (ch >= 0x20 && ch != 0x7f && !Character.isSurrogate(ch) && !Character.isISOControl(ch)) sb.append(ch);
            else sb.append(String.format("\\u%04x", (int) ch));
        }
        if (s.length() > n) sb.append("...(").append(s.length()).append(" chars)");
        return sb.append('\'').toString();
    }

    private static String dims(long[] ne, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(Long.toUnsignedString(ne[i]));
        return sb.append(']').toString();
    }

    /** Maps and parses {@code path}. A header-only file (see {@link #openHeader}) is refused with {@link #HEADER_ONLY_PROBLEM}. */
    public static GgufFile open(Path path) {
        return open(path, false);
    }

    /**
     * Maps and parses {@code path} for its header only: a full GGUF opens as with {@link #open}, and so does a
     * header-only one ({@code ggufc synth --header-only}: metadata and tensor infos, no data section), whose
     * {@link #tensorData} then fails with {@link #HEADER_ONLY_PROBLEM}. Lifting never reads weights, so its graph builds.
     */
    public static GgufFile openHeader(Path path) {
        return open(path, true);
    }

    /** Whether this file has no tensor data (opened with {@link #openHeader}). */
    public boolean headerOnly() { return headerOnly; }

    private static GgufFile open(Path path, boolean allowHeaderOnly) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.size() == 0 ? MemorySegment.ofArray(new byte[0]) : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg, allowHeaderOnly);
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
        if (headerOnly) throw fail(HEADER_ONLY_PROBLEM);
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
        throw fail("metadata " + q(key) + " is " + metadata.get(key).type() + ", expected a string");
    }

    public String getString(String key, String dflt) { return has(key) ? getString(key) : dflt; }

    public long getLong(String key) {
        Object v = require(key).value();
        if (v instanceof Integer || v instanceof Long) return ((Number) v).longValue();
        throw fail("metadata " + q(key) + " is " + metadata.get(key).type() + ", expected an integer");
    }

    public long getLong(String key, long dflt) { return has(key) ? getLong(key) : dflt; }

    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw fail("metadata " + q(key) + " = " + v + " is out of range");
        return (int) v;
    }

    public int getInt(String key, int dflt) { return has(key) ? getInt(key) : dflt; }

    /** A number as double; float32 values become the double of their shortest decimal form (1e-5f gives 1.0E-5, not 9.999999747378752E-6). */
    public double getDouble(String key) {
        Object v = require(key).value();
        if (v instanceof Float f) return Double.parseDouble(Float.toString(f));
        if (v instanceof Number n) return n.doubleValue();
        throw fail("metadata " + q(key) + " is " + metadata.get(key).type() + ", expected a number");
    }

    public double getDouble(String key, double dflt) { return has(key) ? getDouble(key) : dflt; }

    public boolean getBool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        Object v = metadata.get(key).value();
        if (v instanceof Boolean b) return b;
        throw fail("metadata " + q(key) + " is " + metadata.get(key).type() + ", expected a bool");
    }

    @SuppressWarnings("unchecked")
    public List<String> getStringArray(String key) {
        GgufValue v = require(key);
        if (v.isArray() && v.elementType() == GgufValueType.STRING) return (List<String>) v.value();
        throw fail("metadata " + q(key) + " is not an array of strings");
    }

    public float[] getFloatArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof float[] a) return a;
        throw fail("metadata " + q(key) + " is not an array of float32");
    }

    /** Integer array widened to int (8/16/32-bit element types). */
    public int[] getIntArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof int[] a) return a;
        if (v.value() instanceof long[] a) {
            int[] r = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                if (a[i] != (int) a[i]) throw fail("metadata " + q(key) + " element " + i + " = " + a[i] + " does not fit in an int");
                r[i] = (int) a[i];
            }
            return r;
        }
        throw fail("metadata " + q(key) + " is not an array of integers");
    }

    private GgufValue require(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) throw fail("missing metadata key " + q(key));
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

    /**
     * Bounds-checked little-endian reader over the header. Error messages are only built on
     * failure (a header has hundreds of thousands of values in big vocabularies).
     */
    private final class Cursor {
        long pos;

        long remaining() { return file.byteSize() - pos; }

        /** v1 stores counts, lengths and dims as u32; v2+ as u64. */
        int sizeWidth() { return version == 1 ? 4 : 8; }

        void need(long n, String what) {
            if (n < 0 || n > remaining()) throw truncated(n, what);
        }

        GgufException truncated(long n, String what) {
            return fail("truncated: " + what + " needs " + Long.toUnsignedString(n) + " bytes at offset " + pos
                    + " but the file has " + file.byteSize() + " bytes");
        }

        int i32() { need(4, "a 32-bit value"); int v = file.get(I32, pos); pos += 4; return v; }
        long i64() { need(8, "a 64-bit value"); long v = file.get(I64, pos); pos += 8; return v; }

        long count(String what) {
            long v = version == 1 ? Integer.toUnsignedLong(i32()) : i64();
            if (v < 0) throw fail("absurd " + what + " " + Long.toUnsignedString(v));
            return v;
        }

        /** A length-prefixed UTF-8 string; {@code what}/{@code index} only name it in errors. */
        String string(String what, long index) {
            long at = pos;
            long len = version == 1 ? Integer.toUnsignedLong(i32()) : i64();
            if (len < 0 || len > MAX_STRING) {
                throw fail(describe(what, index) + " at offset " + at + " claims " + Long.toUnsignedString(len)
                        + " bytes, more than the " + MAX_STRING + " allowed");
            }
            if (len > remaining()) throw truncated(len, describe(what, index) + " (" + len + "-byte string)");
            byte[] b = new byte[(int) len];
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, b, 0, (int) len);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }

        /** {@code len} strings, validated now, decoded on first access (see {@link PackedStrings}). */
        List<String> strings(String key, int len) {
            long start = pos;
            int w = sizeWidth();
            int[] starts = new int[len + 1];
            for (int i = 0; i < len; i++) {
                long at = pos;
                if (w > remaining()) throw truncated(w, "length of element #" + i + " of " + q(key));
                long n = w == 4 ? Integer.toUnsignedLong(file.get(I32, pos)) : file.get(I64, pos);
                pos += w;
                if (n < 0 || n > MAX_STRING) {
                    throw fail("element #" + i + " of " + q(key) + " at offset " + at + " claims " + Long.toUnsignedString(n)
                            + " bytes, more than the " + MAX_STRING + " allowed");
                }
                if (n > remaining()) throw truncated(n, "element #" + i + " of " + q(key) + " (" + n + "-byte string)");
                if (pos + n - start > Integer.MAX_VALUE - 16) throw fail("metadata " + q(key) + " holds more than 2 GiB of strings");
                starts[i] = (int) (pos - start);
                pos += n;
            }
            starts[len] = (int) (pos - start) + w;
            byte[] blob = new byte[(int) (pos - start)];
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, start, blob, 0, blob.length);
            return new PackedStrings(blob, starts, w);
        }

        private static String describe(String what, long index) {
            return index < 0 ? what : what.replace("#", "#" + index);
        }

        GgufValue value(GgufValueType type, String key, int depth) {
            if (type == GgufValueType.ARRAY) return array(key, depth);
            if (type == GgufValueType.STRING) return new GgufValue(type, null, string("value of " + q(key), -1));
            need(type.size, key);
            return new GgufValue(type, null, scalar(type, key));
        }

        /** A fixed-size scalar whose bytes are known to be present. */
        Object scalar(GgufValueType type, String key) {
            long p = pos;
            pos += type.size;
            return switch (type) {
                case UINT8 -> Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, p));
                case INT8 -> (int) file.get(ValueLayout.JAVA_BYTE, p);
                case UINT16 -> Short.toUnsignedInt(file.get(I16, p));
                case INT16 -> (int) file.get(I16, p);
                case UINT32 -> Integer.toUnsignedLong(file.get(I32, p));
                case INT32 -> file.get(I32, p);
                case FLOAT32 -> file.get(F32, p);
                case UINT64, INT64 -> file.get(I64, p);
                case FLOAT64 -> file.get(F64, p);
                case BOOL -> bool(p, key);
                default -> throw new AssertionError(type);
            };
        }

        boolean bool(long p, String key) {
            int b = file.get(ValueLayout.JAVA_BYTE, p);
            if (b != 0 && b != 1) throw fail("metadata " + q(key) + " has invalid bool byte " + b + " at offset " + p);
            return b == 1;
        }

        GgufValue array(String key, int depth) {
            if (depth > 8) throw fail("metadata " + q(key) + " nests arrays deeper than 8 levels");
            long at = pos;
            int elemId = i32();
            GgufValueType et = GgufValueType.byId(elemId);
            if (et == null) throw fail("metadata " + q(key) + " at offset " + at + " is an array of unknown type " + Integer.toUnsignedString(elemId));
            long n = count("array length of " + q(key));
            long minElem = et.size > 0 ? et.size : (et == GgufValueType.STRING ? sizeWidth() : 4 + sizeWidth());
            if (n > remaining() / minElem) {
                throw fail("truncated or corrupt: metadata " + q(key) + " claims " + Long.toUnsignedString(n) + " " + et
                        + " elements but only " + remaining() + " bytes remain");
            }
            if (n > MAX_ARRAY) throw fail("metadata " + q(key) + " claims " + n + " elements, more than the " + MAX_ARRAY + " allowed");
            int len = (int) n;
            long p = pos;
            Object out;
            // fixed-size elements: all present (checked above), read without per-element checks
            switch (et) {
                case UINT8, INT8, UINT16, INT16, INT32 -> {
                    int[] a = new int[len];
                    for (int i = 0; i < len; i++, p += et.size) {
                        a[i] = switch (et) {
                            case UINT8 -> Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, p));
                            case INT8 -> file.get(ValueLayout.JAVA_BYTE, p);
                            case UINT16 -> Short.toUnsignedInt(file.get(I16, p));
                            case INT16 -> file.get(I16, p);
                            default -> file.get(I32, p);
                        };
                    }
                    out = a;
                }
                case UINT32, UINT64, INT64 -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++, p += et.size) {
                        a[i] = et == GgufValueType.UINT32 ? Integer.toUnsignedLong(file.get(I32, p)) : file.get(I64, p);
                    }
                    out = a;
                }
                case FLOAT32 -> {
                    float[] a = new float[len];
                    for (int i = 0; i < len; i++, p += 4) a[i] = file.get(F32, p);
                    out = a;
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    for (int i = 0; i < len; i++, p += 8) a[i] = file.get(F64, p);
                    out = a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++, p++) a[i] = bool(p, key);
                    out = a;
                }
                case STRING -> out = strings(key, len);
                case ARRAY -> {
                    List<GgufValue> a = new ArrayList<>(len);
                    for (int i = 0; i < len; i++) a.add(array(key, depth + 1));
                    out = a;
                }
                default -> throw new AssertionError(et);
            }
            if (et.size > 0) pos = p;
            return new GgufValue(GgufValueType.ARRAY, et, et == GgufValueType.ARRAY ? Collections.unmodifiableList((List<?>) out) : out);
        }
    }
}
