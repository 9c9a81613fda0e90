package ggufc.ir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of tensor slices, as numpy writes them: {@code blk.0.attn_q.weight[0:32,:]} is rows 0..31 of
 * {@code blk.0.attn_q.weight}, {@code cache.k.0[:,2:4,:]} heads 2 and 3 of a KV cache. The split passes name a
 * device's share of a weight or state this way, so every backend binds it through {@link #wrap} without knowing
 * about devices. One axis is sliced; a slice of the last axis of a quantized tensor must be whole blocks.
 */
public final class Slices {
    private Slices() {}

    /** Elements {@code offset .. offset + size} of axis {@code axis} of tensor {@code base}. */
    public record Slice(String base, int rank, int axis, long offset, long size) {
        public String name() {
            StringBuilder b = new StringBuilder(base).append('[');
            for (int i = 0; i < rank; i++) {
                if (i > 0) b.append(',');
                b.append(i == axis ? offset + ":" + (offset + size) : ":");
            }
            return b.append(']').toString();
        }
    }

    private static final Pattern SLICED = Pattern.compile("(.+)\\[([0-9:,]+)]");

    public static String name(String base, int rank, int axis, long offset, long size) { return new Slice(base, rank, axis, offset, size).name(); }

    /** The slice a name denotes, or null for a plain name. */
    public static Slice parse(String name) {
        Matcher m = SLICED.matcher(name);
        if (!m.matches()) return null;
        String[] parts = m.group(2).split(",", -1);
        int axis = -1;
        long from = 0, to = 0;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].equals(":")) continue;
            String[] ft = parts[i].split(":", -1);
            if (axis >= 0 || ft.length != 2 || ft[0].isEmpty() || ft[1].isEmpty()) return null;
            axis = i;
            from = Long.parseLong(ft[0]);
            to = Long.parseLong(ft[1]);
        }
        if (axis < 0 || to <= from) return null;
        return new Slice(m.group(1), parts.length, axis, from, to - from);
    }

    /** {@code weights} that also answers sliced names (each slice made once: a view where it is contiguous, else a copy). */
    public static Function<String, TensorData> wrap(Function<String, TensorData> weights) {
        if (weights instanceof Wrapped) return weights;
        return new Wrapped(weights);
    }

    private record Wrapped(Function<String, TensorData> weights, Map<String, TensorData> made) implements Function<String, TensorData> {
        Wrapped(Function<String, TensorData> weights) { this(weights, new ConcurrentHashMap<>()); }

        @Override
        public TensorData apply(String name) {
            Slice s = parse(name);
            if (s == null) return weights.apply(name);
            return made.computeIfAbsent(name, k -> {
                TensorData whole = apply(s.base());
                if (whole == null) return null;
                return slice(whole, s.axis(), s.offset(), s.size());
            });
        }
    }

    /**
     * Memory for a copied slice of {@code like}: when the weights are a file mapping, a mapping too (of an unlinked
     * file in /dev/shm or the temp folder), else plain native memory. Why: the kernels' JIT-compiled loops are
     * specialized to the one memory-segment class they see; a second class at the same call site (a heap or malloc
     * copy beside the mapped file) makes them polymorphic, which cost a 2.5x slower Q8_0 matmul on every weight
     * of a split 1B model.
     */
    private static MemorySegment mappedLike(MemorySegment like, long bytes) {
        if (!like.isMapped()) return Arena.ofAuto().allocate(bytes, 64);
        try {
            java.nio.file.Path shm = java.nio.file.Path.of("/dev/shm");
            java.nio.file.Path dir = java.nio.file.Files.isDirectory(shm) && java.nio.file.Files.isWritable(shm) ? shm : java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
            // a tmpfs mapping that outgrows its filesystem faults when written: fall back while there is no room
            if (java.nio.file.Files.getFileStore(dir).getUsableSpace() < bytes + (64L << 20)) return Arena.ofAuto().allocate(bytes, 64);
            java.nio.file.Path f = java.nio.file.Files.createTempFile(dir, "ggufc-slice", ".bin");
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                return ch.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, bytes, Arena.ofAuto());
            } finally {
                java.nio.file.Files.deleteIfExists(f); // the mapping stays; the name goes
            }
        } catch (java.io.IOException e) {
            return Arena.ofAuto().allocate(bytes, 64);
        }
    }

    /** Elements {@code offset .. offset + size} of axis {@code axis} of {@code d}. */
    public static TensorData slice(TensorData d, int axis, long offset, long size) {
        long[] shape = d.shape();
        if (axis < 0 || axis >= shape.length || offset < 0 || size <= 0 || offset + size > shape[axis]) {
            throw new IllegalArgumentException("slice " + offset + ":" + (offset + size) + " of axis " + axis + " outside " + java.util.Arrays.toString(shape));
        }
        long[] out = shape.clone();
        out[axis] = size;
        DType t = d.dtype();
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        long unitBytes, fromBytes, widthBytes, strideBytes;
        if (axis == shape.length - 1) {
            if (offset % t.blockSize() != 0 || size % t.blockSize() != 0) {
                throw new IllegalArgumentException("slice " + offset + ":" + (offset + size) + " of " + t + " rows is not whole blocks of " + t.blockSize());
            }
            fromBytes = t.bytesFor(offset);
            widthBytes = t.bytesFor(size);
            strideBytes = t.bytesFor(shape[axis]);
        } else {
            unitBytes = t.bytesFor(inner);
            fromBytes = offset * unitBytes;
            widthBytes = size * unitBytes;
            strideBytes = shape[axis] * unitBytes;
        }
        if (outer == 1) return new TensorData(t, out, d.bytes().asSlice(fromBytes, widthBytes));
        MemorySegment copy = mappedLike(d.bytes(), outer * widthBytes);
        for (long o = 0; o < outer; o++) MemorySegment.copy(d.bytes(), o * strideBytes + fromBytes, copy, o * widthBytes, widthBytes);
        return new TensorData(t, out, copy);
    }
}
