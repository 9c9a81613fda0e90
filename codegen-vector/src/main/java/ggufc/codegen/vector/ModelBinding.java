package ggufc.codegen.vector;

import ggufc.codegen.vector.kernels.Attention;
import ggufc.codegen.vector.kernels.Packed;
import ggufc.codegen.vector.kernels.WorkerPool;
import ggufc.ir.DType;
import ggufc.ir.TensorData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * What a compiled model is bound to when it is instantiated: its weights (normally slices of the
 * memory-mapped GGUF; checked against the dtype and shape the code was generated for), a worker
 * pool, and off-heap KV caches of {@link #capacity} positions, owned and freed by this binding.
 */
public final class ModelBinding implements AutoCloseable {
    private final Function<String, TensorData> weights;
    private final WorkerPool pool;
    private final int capacity;
    private final Arena arena = Arena.ofShared();
    private final List<MemorySegment> caches = new ArrayList<>();

    public ModelBinding(Function<String, TensorData> weights, WorkerPool pool, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("KV cache capacity must be >= 1, got " + capacity);
        this.weights = weights;
        this.pool = pool;
        this.capacity = capacity;
    }

    public WorkerPool pool() { return pool; }

    private WorkerPool[] devicePools;

    /**
     * The worker pools of a split model's {@code n} CPU sub-devices: device 0 has {@link #pool}, the others pools of
     * as many threads, made on first call and closed with this binding.
     */
    public synchronized WorkerPool[] devicePools(int n) {
        if (devicePools == null || devicePools.length != n) {
            if (devicePools != null) for (int d = 1; d < devicePools.length; d++) devicePools[d].close();
            devicePools = new WorkerPool[n];
            devicePools[0] = pool;
            for (int d = 1; d < n; d++) devicePools[d] = new WorkerPool(pool.threads());
        }
        return devicePools.clone();
    }

    /** KV cache rows (positions). */
    public int capacity() { return capacity; }

    /** The bytes of weight {@code name}, which must be a {@code dtype} tensor of {@code shape} (IR order). */
    public MemorySegment weight(String name, DType dtype, long... shape) {
        TensorData d = weights.apply(name);
        if (d == null) throw new IllegalStateException("the model has no tensor '" + name + "' (the code was generated for another model)");
        if (d.dtype() != dtype || !Arrays.equals(d.shape(), shape)) {
            throw new IllegalStateException("tensor '" + name + "' is " + d.dtype() + " " + Arrays.toString(d.shape()) + ", the code was generated for "
                    + dtype + " " + Arrays.toString(shape));
        }
        return d.bytes();
    }

    /** The weight {@code name} ({@code dtype}, {@code shape}) decoded to f32 once at load (a heap segment): for kernels that read f32 only. */
    public MemorySegment weightF32(String name, DType dtype, long... shape) {
        MemorySegment src = weight(name, dtype, shape);
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        if (n > Integer.MAX_VALUE) throw new IllegalStateException("tensor '" + name + "' is too large to decode to f32 at load");
        float[] values = new float[(int) n];
        ggufc.ir.quant.BlockCodecs.dequantize(dtype, src, 0, values, 0, (int) n);
        return MemorySegment.ofArray(values);
    }

    /**
     * The weight {@code name [N, K]} ({@code dtype}) decoded and repacked into f32 row tiles
     * ({@link Packed}); its mapped rows are read once here and not again.
     */
    public float[] packed(String name, DType dtype, int N, int K) {
        return Packed.pack(weight(name, dtype, N, K), dtype, N, K);
    }

    /**
     * A zeroed off-heap KV cache of {@link #capacity} rows of {@code rowLen} f32 or f16 elements, in
     * the blocked layout of {@link Attention} (capacity rounded up to whole blocks). Reserved, not
     * touched ({@link ReservedMemory}): it takes memory only for the positions written.
     */
    public MemorySegment cache(DType dtype, int rowLen) {
        MemorySegment c = ReservedMemory.allocate(arena, Attention.rows(capacity) * rowLen * (dtype == DType.F16 ? 2 : 4));
        caches.add(c);
        return c;
    }

    private record NamedCache(MemorySegment segment, DType dtype, int rowLen) {}

    private final java.util.Map<String, NamedCache> named = new java.util.HashMap<>();

    /**
     * The KV cache of state {@code name}: made on the first call ({@link #cache(DType, int)}), the same buffer on every
     * later one. Code bound to this binding shares state by name, as the graphs of one IR module do: a draft step's
     * plan or class writes the target's caches. A second request with another element type or row length is refused.
     */
    public synchronized MemorySegment cache(String name, DType dtype, int rowLen) {
        NamedCache c = named.get(name);
        if (c == null) {
            c = new NamedCache(cache(dtype, rowLen), dtype, rowLen);
            named.put(name, c);
        } else if (c.dtype() != dtype || c.rowLen() != rowLen) {
            throw new IllegalArgumentException("cache " + name + " is " + c.dtype().irName() + " rows of " + c.rowLen() + ", asked for as " + dtype.irName() + " rows of " + rowLen);
        }
        return c.segment();
    }

    /** Bytes of all caches made so far. */
    public long cacheBytes() {
        long n = 0;
        for (MemorySegment c : caches) n += c.byteSize();
        return n;
    }

    /** Zeroes every cache. */
    public void resetCaches() {
        for (MemorySegment c : caches) ReservedMemory.zero(c);
    }

    @Override
    public void close() {
        if (devicePools != null) for (int d = 1; d < devicePools.length; d++) devicePools[d].close();
        arena.close();
    }
}
