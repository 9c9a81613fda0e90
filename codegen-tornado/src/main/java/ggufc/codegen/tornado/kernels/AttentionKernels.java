package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Val;

/**
 * Causal attention straight from the KV cache, softmax computed online (running max and sum, as
 * flash attention), so no [H, T, L] score matrix exists: out[t, h] = sum_j softmax_j(scale q.k_j)
 * v_j over keys j <= pos[t] (and j < L), and with a sliding window w > 0 also pos[t] - j < w (the
 * keys from pos[t] - w + 1 on; llama.cpp's standard SWA). Query head h reads KV head h / (H / Hkv) (GQA).
 * A kernel without a window is the same text as before windows existed.
 *
 * <ul>
 * <li>{@link #decode}: one work-group per (head, query); the work-items split the keys, each keeps
 *     its own running softmax, and the group merges them through local memory. The decode shape
 *     (one query, many keys).
 * <li>{@link #prompt}: one work-group per (head, block of queries), one work-item per query; key and
 *     value rows go through local memory a tile at a time, shared by the block. The prompt shape.
 * </ul>
 * Params q [T, H, Dh] f32, k and v caches [C, Hkv, Dh] of {@code cache} elements, pos [T],
 * out [T, H, Dh], then scalars (L for decode; T and L for prompt).
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /**
     * {@code window}: sliding window in keys, 0 for plain causal attention; {@code softcap}: scores become
     * softcap * tanh(score / softcap) before the softmax (Gemma 2), 0 for none.
     */
    public record Shape(int h, int hkv, int dh, float scale, Elem cache, int window, float softcap) {
        public Shape(int h, int hkv, int dh, float scale, Elem cache) { this(h, hkv, dh, scale, cache, 0, 0f); }
        public Shape(int h, int hkv, int dh, float scale, Elem cache, int window) { this(h, hkv, dh, scale, cache, window, 0f); }

        String id() {
            return "h" + h + "_kv" + hkv + "_d" + dh + "_" + cache.name().toLowerCase() + "_s" + Kernels.token(scale) + (window > 0 ? "_w" + window : "")
                    + (softcap > 0 ? "_c" + Kernels.token(softcap) : "");
        }
    }

    /** A scaled score, soft-capped when the shape says so. */
    private static Val score(KernelBuilder b, Shape s, Val dot) {
        Val x = b.mul(dot, b.f(s.scale()));
        return s.softcap() > 0 ? Activations.softcap(b, x, s.softcap()) : x;
    }

    /** The first key a query at position {@code p} sees: {@code max(0, p - window + 1)}, or 0 without a window. */
    private static Val firstKey(KernelBuilder b, Shape s, Val p) {
        return s.window() > 0 ? b.max(b.i(0), b.sub(p, b.i(s.window() - 1))) : b.i(0);
    }

    /** Grid (H, T). */
    public static Kernel decode(Shape s) {
        int w = s.dh() > 128 ? 16 : 32;
        String name = "attn_decode_" + s.id();
        KernelBuilder b = new KernelBuilder(name, w).doc(name + ": causal attention, keys split over " + w + " work-items, online softmax; grid (H, T)");
        Buf q = b.input("q", Elem.F32), kc = b.input("k", s.cache()), vc = b.input("v", s.cache()), pos = b.input("pos", Elem.I32);
        Buf out = b.output("out", Elem.F32);
        Val l = b.scalarParam("L", ggufc.codegen.tornado.kir.Scalar.I32);
        Buf qv = b.privateArray("qv", Elem.F32, s.dh()), acc = b.privateArray("acc", Elem.F32, s.dh());
        Buf lm = b.localArray("part_max", Elem.F32, w), ls = b.localArray("part_sum", Elem.F32, w), la = b.localArray("part_acc", Elem.F32, w * s.dh());
        Val h = b.groupId(0), t = b.groupId(1), lid = b.localId();
        Val kh = b.div(h, b.i(s.h() / s.hkv()));
        Val qBase = b.mul(b.mad(h, t, b.i(s.h())), b.i(s.dh()));
        Val nk = b.min(l, b.add(b.load(pos, t), b.i(1)));
        b.loop("d", 0, s.dh(), d -> {
            b.store(qv, d, b.load(q, b.add(qBase, d)));
            b.store(acc, d, b.f(0));
        });
        Val m = b.var("m", b.f(Double.NEGATIVE_INFINITY)), sum = b.var("sum", b.f(0));
        Val j0 = s.window() > 0 ? b.add(firstKey(b, s, b.load(pos, t)), lid) : lid;
        b.loop("j", j0, nk, b.i(w), j -> {
            Val kb = b.mul(b.mad(kh, j, b.i(s.hkv())), b.i(s.dh()));
            Val dot = b.var("dot", b.f(0));
            b.loop("d", 0, s.dh(), d -> b.assign(dot, b.fma(b.load(qv, d), b.load(kc, b.add(kb, d)), dot)));
            onlineUpdate(b, s, score(b, s, dot), m, sum, acc, vc, kb);
        });
        b.store(lm, lid, m);
        b.store(ls, lid, sum);
        b.barrier();
        Val gm = b.var("gmax", b.f(Double.NEGATIVE_INFINITY));
        b.loop("o", 0, w, o -> b.assign(gm, b.max(gm, b.load(lm, o))));
        Val gs = b.var("gsum", b.f(0));
        b.loop("o", 0, w, o -> b.assign(gs, b.fma(b.load(ls, o), b.exp(b.sub(b.load(lm, o), gm)), gs)));
        Val f = b.exp(b.sub(m, gm));
        b.loop("d", 0, s.dh(), d -> b.store(la, b.mad(d, lid, b.i(s.dh())), b.mul(b.load(acc, d), f)));
        b.barrier();
        b.loop("d", lid, b.i(s.dh()), b.i(w), d -> {
            Val o = b.var("o", b.f(0));
            b.loop("p", 0, w, p -> b.assign(o, b.add(o, b.load(la, b.mad(d, p, b.i(s.dh()))))));
            b.store(out, b.add(qBase, d), b.div(o, gs));
        });
        return b.build();
    }

    /** Grid (H, ceil(T / 16)). */
    public static Kernel prompt(Shape s) {
        int w = 16;
        String name = "attn_prompt_" + s.id();
        KernelBuilder b = new KernelBuilder(name, w).doc(name + ": causal attention, one work-item per query, " + w + " queries per group sharing K/V tiles in local memory; grid (H, ceil(T / " + w + "))");
        Buf q = b.input("q", Elem.F32), kc = b.input("k", s.cache()), vc = b.input("v", s.cache()), pos = b.input("pos", Elem.I32);
        Buf out = b.output("out", Elem.F32);
        Val tn = b.scalarParam("T", ggufc.codegen.tornado.kir.Scalar.I32), l = b.scalarParam("L", ggufc.codegen.tornado.kir.Scalar.I32);
        Buf qv = b.privateArray("qv", Elem.F32, s.dh()), acc = b.privateArray("acc", Elem.F32, s.dh());
        Buf kt = b.localArray("k_tile", Elem.F32, w * s.dh()), vt = b.localArray("v_tile", Elem.F32, w * s.dh());
        Val h = b.groupId(0), tb = b.mul(b.groupId(1), b.i(w)), lid = b.localId();
        Val t = b.add(tb, lid);
        Val active = b.lt(t, tn);
        Val kh = b.div(h, b.i(s.h() / s.hkv()));
        Val qBase = b.mul(b.mad(h, t, b.i(s.h())), b.i(s.dh()));
        Val myPos = b.var("my_pos", b.i(-1));
        b.ifThen(active, () -> b.assign(myPos, b.load(pos, t)));
        b.loop("d", 0, s.dh(), d -> {
            b.store(qv, d, b.f(0));
            b.store(acc, d, b.f(0));
        });
        b.ifThen(active, () -> b.loop("d", 0, s.dh(), d -> b.store(qv, d, b.load(q, b.add(qBase, d)))));
        // keys the block needs: the same bound in every work-item, so the barriers below are uniform
        Val nk = b.var("nk", b.i(0));
        b.loop("o", 0, w, o -> {
            Val tt = b.add(tb, o);
            b.ifThen(b.lt(tt, tn), () -> b.assign(nk, b.max(nk, b.add(b.load(pos, tt), b.i(1)))));
        });
        Val nkb = b.min(nk, l);
        // with a window, the first key any query of the block sees (uniform too) and this query's own first key
        Val k0 = b.i(0), myLo = b.i(0);
        if (s.window() > 0) {
            Val lo = b.var("k0", b.i(Integer.MAX_VALUE));
            b.loop("o", 0, w, o -> {
                Val tt = b.add(tb, o);
                b.ifThen(b.lt(tt, tn), () -> b.assign(lo, b.min(lo, firstKey(b, s, b.load(pos, tt)))));
            });
            k0 = b.min(lo, nkb);
            myLo = b.var("my_lo", firstKey(b, s, myPos));
        }
        Val m = b.var("m", b.f(Double.NEGATIVE_INFINITY)), sum = b.var("sum", b.f(0));
        Val kStart = k0, qLo = myLo;
        b.loop("j0", kStart, nkb, b.i(w), j0 -> {
            Val jj = b.add(j0, lid);
            b.ifThen(b.lt(jj, nkb), () -> {
                Val kb = b.mul(b.mad(kh, jj, b.i(s.hkv())), b.i(s.dh()));
                b.loop("d", 0, s.dh(), d -> {
                    b.store(kt, b.mad(d, lid, b.i(s.dh())), b.load(kc, b.add(kb, d)));
                    b.store(vt, b.mad(d, lid, b.i(s.dh())), b.load(vc, b.add(kb, d)));
                });
            });
            b.barrier();
            Val limit = b.min(b.i(w), b.sub(b.min(nkb, b.add(myPos, b.i(1))), j0));
            Val first = s.window() > 0 ? b.max(b.i(0), b.sub(qLo, j0)) : b.i(0);
            b.loop("o", first, limit, b.i(1), o -> {
                Val tileBase = b.mul(o, b.i(s.dh()));
                Val dot = b.var("dot", b.f(0));
                b.loop("d", 0, s.dh(), d -> b.assign(dot, b.fma(b.load(qv, d), b.load(kt, b.add(tileBase, d)), dot)));
                onlineUpdate(b, s, score(b, s, dot), m, sum, acc, vt, tileBase);
            });
            b.barrier();
        });
        b.ifThen(active, () -> b.loop("d", 0, s.dh(), d -> b.store(out, b.add(qBase, d), b.div(b.load(acc, d), sum))));
        return b.build();
    }

    /** One more key with score {@code score}: rescale the running sum and accumulator to the new max, add its value row. */
    private static void onlineUpdate(KernelBuilder b, Shape s, Val score, Val m, Val sum, Buf acc, Buf v, Val vBase) {
        Val mNew = b.max(m, score);
        Val corr = b.exp(b.sub(m, mNew));
        Val p = b.exp(b.sub(score, mNew));
        b.assign(sum, b.fma(sum, corr, p));
        b.loop("d", 0, s.dh(), d -> b.store(acc, d, b.fma(b.load(acc, d), corr, b.mul(p, b.load(v, b.add(vBase, d))))));
        b.assign(m, mNew);
    }
}
