package ggufc.codegen.vector.kernels;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;

/** Q8_0 decode kernels: four far-apart rows at once, two, and one row at a time (see {@link MatVecBench}). */
public class Q8_0MatVec extends MatVecBench {
    public Q8_0MatVec() {
        super(DType.Q8_0);
    }

    /** Rows i, i + N/4, i + N/2, i + 3N/4: four sequential streams (what MatMul runs). */
    @Benchmark
    public float q8_0x4() {
        MemorySegment w = nextMatrix();
        long rb = rowBytes;
        int q = N / 4;
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < q; i++) Dot.q8_0x4(w, i * rb, (i + q) * rb, (i + 2 * q) * rb, (i + 3 * q) * rb, x, 0, K, out, i, q);
        }
        return out[N - 1];
    }

    /** Rows i, i + N/2: two streams. */
    @Benchmark
    public float q8_0x2() {
        MemorySegment w = nextMatrix();
        long rb = rowBytes;
        int h = N / 2;
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < h; i++) Dot.q8_0x2(w, i * rb, (i + h) * rb, x, 0, K, null, out, i, i + h);
        }
        return out[N - 1];
    }

    /** One row at a time. */
    @Benchmark
    public float q8_0() {
        MemorySegment w = nextMatrix();
        long rb = rowBytes;
        for (int r = 0; r < reps; r++) {
            for (int n = 0; n < N; n++) out[n] = Dot.q8_0(w, n * rb, x, 0, K, null);
        }
        return out[N - 1];
    }
}
