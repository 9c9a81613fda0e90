package ggufc.codegen.vector.kernels;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * Q4_0 decode kernels (f32 activations): nibbles to floats by a lane lookup over four or two
 * far-apart rows, against the previous two-row kernel (mask, subtract, convert). See {@link MatVecBench}.
 */
public class Q4_0MatVec extends MatVecBench {
    public Q4_0MatVec() {
        super(DType.Q4_0);
    }

    /** Rows i + j N/4, j = 0..3, lane lookup (what MatMul runs with 16 lanes). */
    @Benchmark
    public float q4_0x4() {
        MemorySegment w = nextMatrix();
        long rb = rowBytes;
        int q = N / 4;
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < q; i++) Dot.q4_0x4(w, i * rb, q * rb, x, 0, K, out, i, q);
        }
        return out[N - 1];
    }

    /** Rows i, i + N/2, lane lookup. */
    @Benchmark
    public float q4_0x2() {
        MemorySegment w = nextMatrix();
        long rb = rowBytes;
        int h = N / 2;
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < h; i++) Dot.q4_0x2(w, i * rb, (i + h) * rb, x, 0, K, null, out, i, i + h);
        }
        return out[N - 1];
    }

    /** Rows i, i + N/2, mask/subtract/convert (the previous kernel; now the fallback for other vector shapes). */
    @Benchmark
    public float q4_0x2Generic() {
        MemorySegment w = nextMatrix();
        long rb = rowBytes;
        int h = N / 2;
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < h; i++) Dot.q4_0x2Generic(w, i * rb, (i + h) * rb, x, 0, K, null, out, i, i + h);
        }
        return out[N - 1];
    }
}
