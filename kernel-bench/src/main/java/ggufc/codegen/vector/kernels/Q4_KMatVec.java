package ggufc.codegen.vector.kernels;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * Q4_K decode kernels over two far-apart rows: scales and mins decoded in vector lanes per
 * super-block inside the nibble loop, against the previous kernel (a scalar pass over all the
 * row's scales first). See {@link MatVecBench}.
 */
public class Q4_KMatVec extends MatVecBench {
    public Q4_KMatVec() {
        super(DType.Q4_K);
    }

    /** Rows i, i + N/2, scales in vector lanes (what MatMul runs with 16 lanes). */
    @Benchmark
    public float q4_kx2() {
        MemorySegment w = nextMatrix();
        long rb = rowBytes;
        int h = N / 2;
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < h; i++) Dot.q4_kx2(w, i * rb, (i + h) * rb, x, 0, K, xs, out, i, i + h);
        }
        return out[N - 1];
    }

    /** Rows i, i + N/2, scalar scale pass first (the previous kernel; now the fallback for other vector shapes). */
    @Benchmark
    public float q4_kx2Generic() {
        MemorySegment w = nextMatrix();
        long rb = rowBytes;
        int h = N / 2;
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < h; i++) Dot.q4_kx2Generic(w, i * rb, (i + h) * rb, x, 0, K, xs, out, i, i + h);
        }
        return out[N - 1];
    }
}
