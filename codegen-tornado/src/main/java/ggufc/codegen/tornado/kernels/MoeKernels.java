package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Scalar;
import ggufc.codegen.tornado.kir.Val;

/**
 * Mixture-of-experts kernels, with the interpreter's semantics: top-k routing (one work-item per
 * selected index, which finds the element of its rank), the gather and renormalization of the
 * routing weights, the expert matvec ({@code matmul_id}: {@link MatvecKernels}' row dot products on
 * the selected expert's rows {@code [e M, (e + 1) M)} of the stacked weight) and the weighted sum
 * over the selected experts in slot order.
 */
public final class MoeKernels {
    private MoeKernels() {}

    public static final int GROUP = ElementKernels.GROUP;

    private static Val index(KernelBuilder b) { return b.add(b.mul(b.groupId(0), b.i(GROUP)), b.localId()); }

    /**
     * ids[r, j] = the index of rank j in row r of x (rows of {@code n}): the element that exactly j
     * others precede, where p precedes i when x[p] > x[i], or x[p] == x[i] and p < i (largest first,
     * ties by lower index). Params x, y (i32), n = rows * k.
     */
    public static Kernel topk(int n, int k) {
        String name = "topk_n" + n + "_k" + k;
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": indices of the " + k + " largest of rows of " + n + ", largest first (ties: lower index first); one work-item per index");
        Buf x = b.input("x", Elem.F32), y = b.output("y", Elem.I32);
        Val count = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, count), () -> {
            Val r = b.div(i, b.i(k)), j = b.rem(i, b.i(k));
            Val base = b.mul(r, b.i(n));
            b.loop("c", 0, n, c -> {
                Val xc = b.load(x, b.add(base, c));
                Val rank = b.var("rank", b.i(0));
                b.loop("p", 0, n, p -> {
                    Val xp = b.load(x, b.add(base, p));
                    Val before = b.or(b.lt(xc, xp), b.and(b.eq(xp, xc), b.lt(p, c)));
                    b.assign(rank, b.add(rank, b.select(before, b.i(1), b.i(0))));
                });
                b.ifThen(b.eq(rank, j), () -> b.store(y, i, c));
            });
        });
        return b.build();
    }

    /** y[r, j] = x[r, idx[r, j]] for rows of {@code n} values and {@code k} indices; params x, idx, y, n = rows * k. */
    public static Kernel takeAlong(int n, int k) {
        String name = "take_along_n" + n + "_k" + k;
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": y[r, j] = x[r, idx[r, j]], rows of " + n + " values and " + k + " indices");
        Buf x = b.input("x", Elem.F32), idx = b.input("idx", Elem.I32), y = b.output("y", Elem.F32);
        Val count = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, count), () -> b.store(y, i, b.load(x, b.add(b.mul(b.div(i, b.i(k)), b.i(n)), b.load(idx, i)))));
        return b.build();
    }

    /** y = x / max(sum of x's row, min) for rows of {@code k} (the sum in f32, in order); params x, y, n = rows * k. */
    public static Kernel sumNormalize(int k, double min) {
        String name = "sum_normalize_k" + k + "_m" + Kernels.token(min);
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": y = x / max(sum of its row of " + k + ", " + min + ")");
        Buf x = b.input("x", Elem.F32), y = b.output("y", Elem.F32);
        Val count = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, count), () -> {
            Val base = b.mul(b.div(i, b.i(k)), b.i(k));
            Val sum = b.var("sum", b.f(0));
            b.loop("j", 0, k, j -> b.assign(sum, b.add(sum, b.load(x, b.add(base, j)))));
            b.store(y, i, b.div(b.load(x, i), b.max(sum, b.f(min))));
        });
        return b.build();
    }

    /** y[t, c] = sum over s of w[t, s] * y[t, s, c] in slot order (products rounded before each add); params y, w, out, n = T * width. */
    public static Kernel weightedSum(int slots, int width) {
        String name = "weighted_sum_k" + slots + "_n" + width;
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": out[t, c] = sum over " + slots + " slots of w[t, s] * y[t, s, c], in slot order");
        Buf yv = b.input("y", Elem.F32), w = b.input("w", Elem.F32), out = b.output("out", Elem.F32);
        Val count = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, count), () -> {
            Val t = b.div(i, b.i(width)), c = b.rem(i, b.i(width));
            Val acc = b.var("acc", b.f(0));
            b.loop("s", 0, slots, s -> {
                Val slot = b.mad(s, t, b.i(slots));
                Val prod = b.var("prod", b.mul(b.load(yv, b.mad(c, slot, b.i(width))), b.load(w, slot)));
                b.assign(acc, b.add(acc, prod));
            });
            b.store(out, i, acc);
        });
        return b.build();
    }

    /**
     * The expert matvec: y[t, s, m] = w[ids[t, s], m] . x[t, s or t] (times scale[ids[t, s]] with
     * {@code scaled}) for a {@code [E, M, K]} weight; grid (M, T * slots), one work-group per (row,
     * slot), the row dot product of {@link MatvecKernels#matvec}. {@code perSlot}: x has a row per
     * slot ([T, slots, K]), else one per token. Params w, x, ids, [scale], y.
     */
    public static Kernel matvecId(WeightFormat f, int k, int m, int slots, boolean perSlot, boolean scaled, boolean q8Activations) {
        if (f.quantized() && k % f.dtype().blockSize() != 0) throw new IllegalArgumentException(f + " rows of " + k + " are not whole blocks");
        if (q8Activations && !f.takesQ8Activations()) throw new IllegalArgumentException(f + " weights do not take Q8_0 activations");
        int units = k / f.unit(k);
        int wg = Math.min(64, Integer.highestOneBit(units));
        String name = "matvec_id_" + f.id() + (q8Activations ? "_q8act" : "") + "_k" + k + "_m" + m + "_e" + slots + (perSlot ? "_ps" : "") + (scaled ? "_sc" : "");
        KernelBuilder b = new KernelBuilder(name, wg).doc(name + ": y[t, s, m] = w[ids[t, s], m] . x[t" + (perSlot ? ", s" : "") + "]" + (scaled ? " * scale[ids[t, s]]" : "")
                + ", " + f.id() + " experts of [" + m + ", " + k + "], " + slots + " per token; grid (M, T * " + slots + "), " + wg + " work-items per row");
        Buf w = b.input("w", f.bufferElem());
        Buf x = b.input("x", q8Activations ? Elem.U8 : Elem.F32);
        Buf ids = b.input("ids", Elem.I32);
        Buf scale = scaled ? b.input("scale", Elem.F32) : null;
        Buf y = b.output("y", Elem.F32);
        Buf scratch = b.localArray("partial", Elem.F32, wg);
        Val row = b.groupId(0), slot = b.groupId(1), lid = b.localId();
        Val e = b.load(ids, slot);
        Val wRow = b.mad(row, e, b.i(m));
        Val xRow = perSlot ? slot : b.div(slot, b.i(slots));
        Val xBase = b.mul(xRow, b.i(q8Activations ? k / 32 * 34 : k));
        Val acc = b.var("acc", b.f(0));
        b.loop("u", lid, b.i(units), b.i(wg), u -> b.assign(acc, b.add(acc, q8Activations ? f.unitDotQ8(b, w, wRow, k, u, x, xBase) : f.unitDot(b, w, wRow, k, u, x, xBase))));
        Val s = b.reduceSum(acc, scratch);
        b.ifThen(b.eq(lid, b.i(0)), () -> b.store(y, b.mad(row, slot, b.i(m)), scaled ? b.mul(s, b.load(scale, e)) : s));
        return b.build();
    }
}
