package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Val;

/** Row-wise kernels with a work-group reduction: RMSNorm and softmax. Grid: one work-group per row. */
public final class NormKernels {
    private NormKernels() {}

    static int groupFor(int d) { return Math.max(1, Math.min(256, Integer.highestOneBit(d))); }

    /** y = x / sqrt(mean(x^2) + eps) * w over rows of {@code d}; params x, w, y. */
    public static Kernel rmsNorm(int d, double eps) {
        int w = groupFor(d);
        String name = "rms_norm_d" + d + "_eps" + Kernels.token(eps);
        KernelBuilder b = new KernelBuilder(name, w).doc(name + ": y = x / sqrt(mean(x^2) + " + eps + ") * w per row of " + d + "; grid (rows)");
        Buf x = b.input("x", Elem.F32), wt = b.input("w", Elem.F32), y = b.output("y", Elem.F32);
        Buf scratch = b.localArray("partial", Elem.F32, w);
        Val row = b.groupId(0), lid = b.localId();
        Val base = b.mul(row, b.i(d));
        Val acc = b.var("acc", b.f(0));
        b.loop("i", lid, b.i(d), b.i(w), i -> {
            Val v = b.load(x, b.add(base, i));
            b.assign(acc, b.fma(v, v, acc));
        });
        Val sum = b.reduceSum(acc, scratch);
        Val scale = b.div(b.f(1), b.sqrt(b.add(b.div(sum, b.f(d)), b.f(eps))));
        b.loop("i", lid, b.i(d), b.i(w), i -> b.store(y, b.add(base, i), b.mul(b.mul(b.load(x, b.add(base, i)), scale), b.load(wt, i))));
        return b.build();
    }

    /**
     * Softmax over rows of {@code d} (max-subtracted; an all -inf row gives zeros, as the
     * interpreter); {@code invTemp} scales the input first (1 for the graph op, 1/temperature for
     * sampling). Params x, y, and the row length {@code d} as a scalar when {@code d} is 0 (rows of
     * L scores). Grid (rows).
     */
    public static Kernel softmax(int d, double invTemp) {
        int w = d > 0 ? groupFor(d) : 64;
        String name = "softmax_" + (d > 0 ? "d" + d : "dyn") + (invTemp == 1 ? "" : "_it" + Kernels.token(invTemp));
        KernelBuilder b = new KernelBuilder(name, w).doc(name + ": y = softmax(x" + (invTemp == 1 ? "" : " * " + invTemp) + ") per row of " + (d > 0 ? d : "d") + "; grid (rows)");
        Buf x = b.input("x", Elem.F32), y = b.output("y", Elem.F32);
        Val dv = d > 0 ? b.i(d) : b.scalarParam("d", ggufc.codegen.tornado.kir.Scalar.I32);
        Buf scratch = b.localArray("partial", Elem.F32, w);
        Val row = b.groupId(0), lid = b.localId();
        Val base = b.mul(row, dv);
        Val mx = b.var("mx", b.f(Double.NEGATIVE_INFINITY));
        b.loop("i", lid, dv, b.i(w), i -> b.assign(mx, b.max(mx, scaled(b, b.load(x, b.add(base, i)), invTemp))));
        Val m = b.reduceMax(mx, scratch);
        Val finite = b.ne(m, b.f(Double.NEGATIVE_INFINITY));
        Val acc = b.var("acc", b.f(0));
        b.loop("i", lid, dv, b.i(w), i -> {
            Val e = b.select(finite, b.exp(b.sub(scaled(b, b.load(x, b.add(base, i)), invTemp), m)), b.f(0));
            b.store(y, b.add(base, i), e);
            b.assign(acc, b.add(acc, e));
        });
        Val sum = b.reduceSum(acc, scratch);
        Val inv = b.select(b.eq(sum, b.f(0)), b.f(0), b.div(b.f(1), sum));
        b.loop("i", lid, dv, b.i(w), i -> b.store(y, b.add(base, i), b.mul(b.load(y, b.add(base, i)), inv)));
        return b.build();
    }

    private static Val scaled(KernelBuilder b, Val v, double s) { return s == 1 ? v : b.mul(v, b.f(s)); }
}
