package ggufc.codegen.vector.kernels;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decode matrix-vector product {@code out[n] = w[n] . x} (one token, one thread) over a weight
 * {@code w[N, K]} in a GGUF block layout, per invocation, by one of the {@link Dot} kernels (the
 * subclasses, one per dtype) or end to end by {@link MatMul#matmul} (f32 activations, a pool of one
 * thread: the kernel dispatch as a compiled model calls it).
 *
 * <p>Every invocation multiplies {@link #WEIGHTS} = 2^24 weights, so the score (ops/ns) is billions
 * of weights per second; times the dtype's bytes per weight it is GB/s of weight bytes read
 * ({@code bench/kernels.sh} prints both). Shapes {@code KxN}: a Llama-3.2-1B-class layer
 * (2048x8192, 8192x2048: 2^24 weights) cycles through enough distinct matrices to total at least
 * 256 MiB, one per invocation, so the weights come from memory, not cache; 2048x256 is one matrix
 * of 0.5 M weights (0.3 to 0.5 MiB, cache-resident), multiplied 32 times per invocation.
 *
 * <p>The blocks are valid: a pool of random floats in [-2, 2) quantized by
 * {@link BlockCodecs#quantize} (finite f16 scales, about 1/64 for Q8_0), copied block by block in a
 * random order into the matrices.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(MatVecBench.WEIGHTS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow"})
@Warmup(iterations = 4, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public abstract class MatVecBench {
    /** Weights multiplied per invocation (the JMH operation is one weight). */
    static final int WEIGHTS = 1 << 24;
    /** Total size of the matrices cycled through in the out-of-cache shapes. */
    static final long OUT_OF_CACHE_BYTES = 256L << 20;
    /** Random floats quantized once into the pool of blocks the matrices are copied from. */
    private static final int POOL_WEIGHTS = 1 << 18;

    /** {@code KxN}: K columns (the dot length), N rows. */
    @Param({"2048x8192", "8192x2048", "2048x256"})
    public String shape;

    final DType t;
    int K, N;
    /** Products per invocation: {@code WEIGHTS / (K N)}, 1 for the out-of-cache shapes. */
    int reps;
    long rowBytes;
    MemorySegment[] mats;
    private int next;
    float[] x, xs, out;
    WorkerPool pool;
    private Arena arena;

    MatVecBench(DType t) {
        this.t = t;
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] kn = shape.split("x");
        K = Integer.parseInt(kn[0]);
        N = Integer.parseInt(kn[1]);
        if (WEIGHTS % ((long) K * N) != 0 || N % 4 != 0 || K % 256 != 0) throw new IllegalArgumentException("shape " + shape);
        reps = WEIGHTS / (K * N);
        rowBytes = t.bytesFor(K);
        long matBytes = rowBytes * N;
        int count = reps > 1 ? 1 : (int) ((OUT_OF_CACHE_BYTES + matBytes - 1) / matBytes);

        SplittableRandom rnd = new SplittableRandom(42);
        arena = Arena.ofShared();
        float[] src = new float[POOL_WEIGHTS];
        for (int i = 0; i < src.length; i++) src[i] = (float) (4 * rnd.nextDouble() - 2);
        MemorySegment blocks = arena.allocate(t.bytesFor(POOL_WEIGHTS), 64);
        BlockCodecs.quantize(t, src, 0, POOL_WEIGHTS, blocks, 0);
        int bb = t.blockBytes(), poolBlocks = POOL_WEIGHTS / t.blockSize();
        mats = new MemorySegment[count];
        for (int m = 0; m < count; m++) {
            MemorySegment w = arena.allocate(matBytes, 64);
            for (long off = 0; off < matBytes; off += bb) {
                MemorySegment.copy(blocks, ValueLayout.JAVA_BYTE, (long) rnd.nextInt(poolBlocks) * bb, w, ValueLayout.JAVA_BYTE, off, bb);
            }
            mats[m] = w;
        }

        x = new float[K];
        for (int i = 0; i < K; i++) x[i] = (float) (2 * rnd.nextDouble() - 1);
        // activation sums per 32 (Q4_K's mins), Vec.LANES spare zeros as MatMul.sums leaves them
        xs = new float[K / 32 + Vec.LANES];
        Dot.groupSums(x, 0, K, 32, xs);
        out = new float[N];
        pool = new WorkerPool(1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    /** The matrix of this invocation: the next one in turn (always the same one when cached). */
    final MemorySegment nextMatrix() {
        MemorySegment w = mats[next];
        next = next + 1 == mats.length ? 0 : next + 1;
        return w;
    }

    /** End to end: {@code MatMul.matmul} with f32 activations on a pool of one thread. */
    @Benchmark
    public float matmul() {
        MemorySegment w = nextMatrix();
        for (int r = 0; r < reps; r++) MatMul.matmul(pool, t, DType.F32, w, K, N, x, 0, 1, out, 0, N, null, 0);
        return out[N - 1];
    }
}
