package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Scalar;
import ggufc.codegen.tornado.kir.Val;
import java.util.Locale;

/**
 * One work-item per output element: embedding rows, dequantization, elementwise arithmetic,
 * copies and slices, and the unfused attention pieces (scores, causal mask, weighted values) for
 * graphs that were not fused. The element count comes in as the scalar {@code n}; grid
 * (ceil(n / 64)).
 */
public final class ElementKernels {
    private ElementKernels() {}

    public static final int GROUP = 64;

    public enum Unary { SILU, GELU, SCALE, SOFTCAP }

    public enum Binary { ADD, MUL }

    private static Val index(KernelBuilder b) { return b.add(b.mul(b.groupId(0), b.i(GROUP)), b.localId()); }

    /** out[t, i] = table[ids[t], i] dequantized; params table, ids, out, n = T * D. */
    public static Kernel embed(WeightFormat f, int d) {
        String name = "embed_" + f.id() + "_d" + d;
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": out[t] = row ids[t] of a " + f.id() + " table of width " + d + "; grid (ceil(n / " + GROUP + "))");
        Buf table = b.input("table", f.bufferElem()), ids = b.input("ids", Elem.I32), out = b.output("out", Elem.F32);
        Val n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> {
            Val t = b.div(i, b.i(d)), c = b.rem(i, b.i(d));
            b.store(out, i, f.element(b, table, b.load(ids, t), d, c));
        });
        return b.build();
    }

    /** out = dequant(w) for a [rows, k] weight; params w, out, n = rows * k. */
    public static Kernel dequant(WeightFormat f, int k) {
        String name = "dequant_" + f.id() + "_k" + k;
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": f32 copy of a " + f.id() + " tensor with rows of " + k);
        Buf w = b.input("w", f.bufferElem()), out = b.output("out", Elem.F32);
        Val n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> b.store(out, i, f.element(b, w, b.div(i, b.i(k)), k, b.rem(i, b.i(k)))));
        return b.build();
    }

    /** y = op(x) elementwise; params x, y, n. */
    public static Kernel unary(Unary op, double factor) {
        boolean param = op == Unary.SCALE || op == Unary.SOFTCAP;
        String name = op.name().toLowerCase(Locale.ROOT) + (param ? "_" + Kernels.token(factor) : "");
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": y = " + op.name().toLowerCase(Locale.ROOT) + (op == Unary.SCALE ? " by " + factor : op == Unary.SOFTCAP ? " at " + factor : "") + "(x) per element");
        Buf x = b.input("x", Elem.F32), y = b.output("y", Elem.F32);
        Val n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> {
            Val v = b.load(x, i);
            b.store(y, i, switch (op) {
                case SILU -> Activations.silu(b, v);
                case GELU -> Activations.gelu(b, v);
                case SCALE -> b.mul(v, b.f(factor));
                case SOFTCAP -> Activations.softcap(b, v, factor);
            });
        });
        return b.build();
    }

    /**
     * y = a op b, b broadcast over a's leading dims (b has {@code bSize} elements; 0: b has a's shape);
     * params a, b, y, n.
     */
    public static Kernel binary(Binary op, int bSize) {
        String name = op.name().toLowerCase(Locale.ROOT) + (bSize == 0 ? "_same" : "_b" + bSize);
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": y[i] = a[i] " + (op == Binary.ADD ? "+" : "*") + (bSize == 0 ? " b[i]" : " b[i % " + bSize + "]"));
        Buf a = b.input("a", Elem.F32), bb = b.input("b", Elem.F32), y = b.output("y", Elem.F32);
        Val n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> {
            Val x = b.load(a, i), z = b.load(bb, bSize == 0 ? i : b.rem(i, b.i(bSize)));
            b.store(y, i, op == Binary.ADD ? b.add(x, z) : b.mul(x, z));
        });
        return b.build();
    }

    /**
     * Column slice / strided copy: y[r, c] = x[r, offset + c] for rows of {@code inWidth} in and
     * {@code outWidth} out, starting at input row {@code rowStart} (scalar; the last row of a [T, D]
     * tensor is rowStart = T - 1). Params x, y, row0, n = rows * outWidth.
     */
    public static Kernel slice(int inWidth, int offset, int outWidth, Elem in) {
        String name = "slice_w" + inWidth + "_o" + offset + "_s" + outWidth + (in == Elem.F32 ? "" : "_" + in.name().toLowerCase(Locale.ROOT));
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": y[r, c] = x[row0 + r, " + offset + " + c], rows of " + inWidth + " -> " + outWidth);
        Buf x = b.input("x", in), y = b.output("y", Elem.F32);
        Val row0 = b.scalarParam("row0", Scalar.I32), n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> {
            Val r = b.div(i, b.i(outWidth)), c = b.rem(i, b.i(outWidth));
            b.store(y, i, b.load(x, b.add(b.mul(b.add(row0, r), b.i(inWidth)), b.add(c, b.i(offset)))));
        });
        return b.build();
    }

    /**
     * Rows of {@code k} f32 values to Q8_0 blocks, bit for bit as ggml's quantize_row_q8_0_ref
     * (d = max|x| / 127 stored as f16, q = roundf(x / d) with the f32 d): one work-item per block.
     * Params x, y (bytes, rows of k / 32 * 34), n = number of blocks.
     */
    public static Kernel quantizeQ8_0(int k) {
        String name = "quantize_q8_0_k" + k;
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": f32 rows of " + k + " to Q8_0 blocks (ggml's reference quantizer), one block per work-item");
        Buf x = b.input("x", Elem.F32), y = b.output("y", Elem.U8);
        Val n = b.scalarParam("n", Scalar.I32);
        Val blk = index(b);
        b.ifThen(b.lt(blk, n), () -> {
            Val xb = b.mul(blk, b.i(32)), yb = b.mul(blk, b.i(34));
            Val amax = b.var("amax", b.f(0));
            b.loop("j", 0, 32, j -> b.assign(amax, b.max(amax, b.abs(b.load(x, b.add(xb, j))))));
            Val d = b.div(amax, b.f(127));
            Val id = b.select(b.ne(d, b.f(0)), b.div(b.f(1), d), b.f(0));
            b.store(y, b.div(yb, b.i(2)), d, Elem.F16);
            b.loop("j", 0, 32, j -> b.store(y, b.add(yb, b.add(b.i(2), j)), b.toI32(b.round(b.mul(b.load(x, b.add(xb, j)), id))), Elem.I8));
        });
        return b.build();
    }

    /** y = x rounded to f16 (stored as halves, round to nearest even); params x, y, n. */
    public static Kernel toHalf() {
        String name = "to_f16";
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": f32 to f16 per element (round to nearest even)");
        Buf x = b.input("x", Elem.F32), y = b.output("y", Elem.F16);
        Val n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> b.store(y, i, b.load(x, i)));
        return b.build();
    }

    /** scores[h, t, j] = scale * q[t, h] . k[j, h / g]; params q, k, y, T, L, n = H * T * L. */
    public static Kernel attnScores(int h, int hkv, int dh, float scale) {
        String name = "attn_scores_h" + h + "_kv" + hkv + "_d" + dh + "_s" + Kernels.token(scale);
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": unfused attention scores [H, T, L]");
        Buf q = b.input("q", Elem.F32), k = b.input("k", Elem.F32), y = b.output("y", Elem.F32);
        Val tn = b.scalarParam("T", Scalar.I32), l = b.scalarParam("L", Scalar.I32), n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> {
            Val j = b.rem(i, l), ht = b.div(i, l);
            Val t = b.rem(ht, tn), hh = b.div(ht, tn);
            Val qb = b.mul(b.mad(hh, t, b.i(h)), b.i(dh)), kb = b.mul(b.mad(b.div(hh, b.i(h / hkv)), j, b.i(hkv)), b.i(dh));
            Val acc = b.var("acc", b.f(0));
            b.loop("d", 0, dh, d -> b.assign(acc, b.fma(b.load(q, b.add(qb, d)), b.load(k, b.add(kb, d)), acc)));
            b.store(y, i, b.mul(acc, b.f(scale)));
        });
        return b.build();
    }

    /** y[h, t, j] = j > pos[t] ? -inf : s[h, t, j]; params s, pos, y, T, L, n. */
    public static Kernel causalMask() { return causalMask(0); }

    /**
     * {@link #causalMask()} with a sliding window of {@code window} keys (0: none): also -inf where
     * pos[t] - j >= window.
     */
    public static Kernel causalMask(int window) {
        String name = window > 0 ? "causal_mask_w" + window : "causal_mask";
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": -inf where key j > pos[t]" + (window > 0 ? " or pos[t] - j >= " + window : "") + " in [H, T, L] scores");
        Buf s = b.input("s", Elem.F32), pos = b.input("pos", Elem.I32), y = b.output("y", Elem.F32);
        Val tn = b.scalarParam("T", Scalar.I32), l = b.scalarParam("L", Scalar.I32), n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> {
            Val j = b.rem(i, l), t = b.rem(b.div(i, l), tn);
            Val p = b.load(pos, t);
            Val masked = b.lt(p, j);
            if (window > 0) masked = b.or(masked, b.le(b.i(window), b.sub(p, j)));
            b.store(y, i, b.select(masked, b.f(Double.NEGATIVE_INFINITY), b.load(s, i)));
        });
        return b.build();
    }

    /** out[t, h, d] = sum_j p[h, t, j] v[j, h / g, d]; params p, v, out, T, L, n = T * H * Dh. */
    public static Kernel attnValues(int h, int hkv, int dh) {
        String name = "attn_values_h" + h + "_kv" + hkv + "_d" + dh;
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": unfused probs [H, T, L] times v [L, Hkv, Dh]");
        Buf p = b.input("p", Elem.F32), v = b.input("v", Elem.F32), out = b.output("out", Elem.F32);
        Val tn = b.scalarParam("T", Scalar.I32), l = b.scalarParam("L", Scalar.I32), n = b.scalarParam("n", Scalar.I32);
        Val i = index(b);
        b.ifThen(b.lt(i, n), () -> {
            Val d = b.rem(i, b.i(dh)), th = b.div(i, b.i(dh));
            Val hh = b.rem(th, b.i(h)), t = b.div(th, b.i(h));
            Val pb = b.mul(b.mad(t, hh, tn), l);
            Val kh = b.div(hh, b.i(h / hkv));
            Val acc = b.var("acc", b.f(0));
            b.loop("j", b.i(0), l, b.i(1), j -> b.assign(acc, b.fma(b.load(p, b.add(pb, j)), b.load(v, b.add(b.mul(b.mad(kh, j, b.i(hkv)), b.i(dh)), d)), acc)));
            b.store(out, i, acc);
        });
        return b.build();
    }
}
