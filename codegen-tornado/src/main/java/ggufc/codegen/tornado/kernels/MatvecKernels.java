package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Val;

/**
 * y[t, n] = x[t, :] . w[n, :] on raw weight blocks, one work-group per (output row, token): the
 * group's work-items take the row's units in turn and meet in a tree reduction. With T = 1 this is
 * the decode matvec; with T tokens the grid's second dimension makes it the prompt matmul. The
 * epilogue fuses what follows the product in a llama block: a residual add (attention output and
 * FFN down projections) or a gated activation of two products (SwiGLU/GeGLU on gate and up).
 */
public final class MatvecKernels {
    private MatvecKernels() {}

    public enum Epilogue {
        NONE(""), RESIDUAL("_res"), GLU_SILU("_swiglu"), GLU_GELU("_geglu");

        final String suffix;

        Epilogue(String suffix) { this.suffix = suffix; }

        public boolean glu() { return this == GLU_SILU || this == GLU_GELU; }
    }

    /**
     * The matvec kernel. Parameters: {@code w} [, {@code w2} (up, for GLU)], {@code x} [T, K],
     * [{@code r} [T, N] (residual)], {@code y}; grid (N, T). The result row t is written at
     * {@code y[t * yStride + yOffset + n]} (a column slice when several products share an output).
     */
    public static Kernel matvec(WeightFormat f, int k, int n, Epilogue epi, int yStride, int yOffset) { return matvec(f, k, n, epi, yStride, yOffset, false); }

    /**
     * As above; with {@code q8Activations} the activation x is [T, K] in Q8_0 blocks (raw bytes, rows
     * of K/32 * 34) and the products are ggml's integer block dot products.
     */
    public static Kernel matvec(WeightFormat f, int k, int n, Epilogue epi, int yStride, int yOffset, boolean q8Activations) {
        if (f.quantized() && k % f.dtype().blockSize() != 0) throw new IllegalArgumentException(f + " rows of " + k + " are not whole blocks");
        if (q8Activations && !f.takesQ8Activations()) throw new IllegalArgumentException(f + " weights do not take Q8_0 activations");
        int units = k / f.unit(k);
        int w = Math.min(64, Integer.highestOneBit(units));
        String name = "matvec_" + f.id() + (q8Activations ? "_q8act" : "") + "_k" + k + "_n" + n + epi.suffix + (yStride != n || yOffset != 0 ? "_s" + yStride + "_o" + yOffset : "");
        KernelBuilder b = new KernelBuilder(name, w).doc(name + ": y[t, n] = " + (epi.glu() ? "act(x . w[n]) * (x . w2[n])" : "x[t] . w[n]")
                + (epi == Epilogue.RESIDUAL ? " + r[t, n]" : "") + ", " + f.id() + " weights [" + n + ", " + k + "]; grid (N, T), " + w + " work-items per row");
        Buf wb = b.input("w", f.bufferElem());
        Buf w2 = epi.glu() ? b.input("w2", f.bufferElem()) : null;
        Buf x = b.input("x", q8Activations ? Elem.U8 : Elem.F32);
        Buf r = epi == Epilogue.RESIDUAL ? b.input("r", Elem.F32) : null;
        Buf y = b.output("y", Elem.F32);
        Buf scratch = b.localArray("partial", Elem.F32, w);
        Val row = b.groupId(0), t = b.groupId(1), lid = b.localId();
        Val xBase = b.mul(t, b.i(q8Activations ? k / 32 * 34 : k));
        Val acc = b.var("acc", b.f(0));
        Val acc2 = epi.glu() ? b.var("acc2", b.f(0)) : null;
        b.loop("u", lid, b.i(units), b.i(w), u -> {
            b.assign(acc, b.add(acc, q8Activations ? f.unitDotQ8(b, wb, row, k, u, x, xBase) : f.unitDot(b, wb, row, k, u, x, xBase)));
            if (acc2 != null) b.assign(acc2, b.add(acc2, q8Activations ? f.unitDotQ8(b, w2, row, k, u, x, xBase) : f.unitDot(b, w2, row, k, u, x, xBase)));
        });
        Val s = b.reduceSum(acc, scratch);
        Val s2 = acc2 != null ? b.reduceSum(acc2, scratch) : null;
        b.ifThen(b.eq(lid, b.i(0)), () -> {
            Val out = switch (epi) {
                case NONE -> s;
                case RESIDUAL -> b.add(s, b.load(r, b.mad(row, t, b.i(n))));
                case GLU_SILU -> b.mul(Activations.silu(b, s), s2);
                case GLU_GELU -> b.mul(Activations.gelu(b, s), s2);
            };
            b.store(y, b.add(b.mad(row, t, b.i(yStride)), b.i(yOffset)), out);
        });
        return b.build();
    }

    public static Kernel matvec(WeightFormat f, int k, int n, Epilogue epi) { return matvec(f, k, n, epi, n, 0); }

    /**
     * Several products of one activation in one launch (q, k and v of a layer): weights
     * {@code w0..w(m-1)} with {@code ns[i]} rows each, outputs {@code y0..y(m-1)}; grid (sum ns, T),
     * each work-group takes one row of one weight (the branch is uniform in the group; the
     * reduction sits outside it, so every work-item reaches the barriers).
     */
    public static Kernel multi(WeightFormat f, int k, int[] ns, boolean q8Activations) {
        if (q8Activations && !f.takesQ8Activations()) throw new IllegalArgumentException(f + " weights do not take Q8_0 activations");
        int units = k / f.unit(k);
        int w = Math.min(64, Integer.highestOneBit(units));
        StringBuilder id = new StringBuilder();
        for (int n : ns) id.append(id.isEmpty() ? "" : "x").append(n);
        String name = "matvec_" + f.id() + (q8Activations ? "_q8act" : "") + "_k" + k + "_n" + id;
        KernelBuilder b = new KernelBuilder(name, w).doc(name + ": y_i[t, n] = x[t] . w_i[n] for " + ns.length + " " + f.id() + " weights of " + k
                + " columns in one launch; grid (" + java.util.Arrays.stream(ns).sum() + ", T), " + w + " work-items per row");
        Buf[] ws = new Buf[ns.length], ys = new Buf[ns.length];
        for (int i = 0; i < ns.length; i++) ws[i] = b.input("w" + i, f.bufferElem());
        Buf x = b.input("x", q8Activations ? Elem.U8 : Elem.F32);
        for (int i = 0; i < ns.length; i++) ys[i] = b.output("y" + i, Elem.F32);
        Buf scratch = b.localArray("partial", Elem.F32, w);
        Val row = b.groupId(0), t = b.groupId(1), lid = b.localId();
        Val xBase = b.mul(t, b.i(q8Activations ? k / 32 * 34 : k));
        Val acc = b.var("acc", b.f(0));
        int start = 0;
        Val[] inRange = new Val[ns.length], local = new Val[ns.length];
        for (int i = 0; i < ns.length; i++) {
            int s0 = start, wi = i;
            inRange[i] = b.and(b.le(b.i(s0), row), b.lt(row, b.i(s0 + ns[i])));
            local[i] = b.sub(row, b.i(s0));
            b.ifThen(inRange[i], () -> b.loop("u", lid, b.i(units), b.i(w), u -> b.assign(acc, b.add(acc,
                    q8Activations ? f.unitDotQ8(b, ws[wi], local[wi], k, u, x, xBase) : f.unitDot(b, ws[wi], local[wi], k, u, x, xBase)))));
            start += ns[i];
        }
        Val s = b.reduceSum(acc, scratch);
        b.ifThen(b.eq(lid, b.i(0)), () -> {
            for (int i = 0; i < ns.length; i++) {
                int n = ns[i], wi = i;
                b.ifThen(inRange[wi], () -> b.store(ys[wi], b.mad(local[wi], t, b.i(n)), s));
            }
        });
        return b.build();
    }
}
