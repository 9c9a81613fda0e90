package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Val;

/**
 * Rotary embedding of x[T, H, Dh] at positions pos[T], optionally written straight into a KV cache
 * [C, H, Dh] at row pos[t] (ROPE + KV_WRITE as one kernel), and the plain cache write. One
 * work-group per (token, head), one work-item per pair of elements.
 */
public final class RopeKernels {
    private RopeKernels() {}

    /**
     * The rope parameters of a ROPE / ROPE_KV_WRITE node; {@code factors}: the kernel takes a
     * freq_factors[nRot/2] buffer (after pos) dividing each pair's angle.
     */
    public record Rope(boolean neox, int nRot, float freqBase, float freqScale, boolean factors) {
        public Rope(boolean neox, int nRot, float freqBase, float freqScale) { this(neox, nRot, freqBase, freqScale, false); }

        /** base^(-2/n_rot) computed as the interpreter does (float exponent, double pow, float result). */
        public float thetaScale() { return (float) Math.pow(freqBase, -2.0f / nRot); }

        String id() { return (neox ? "neox" : "norm") + "_r" + nRot + "_b" + Kernels.token(freqBase) + (freqScale == 1f ? "" : "_s" + Kernels.token(freqScale)) + (factors ? "_ff" : ""); }
    }

    /**
     * Params x, pos, [freq_factors,] out. {@code cache} null: out is [T, H, Dh] f32; else out is the cache, element
     * {@code cache}, rows at pos[t]. Grid (T * H).
     */
    public static Kernel rope(int h, int dh, Rope r, Elem cache) {
        if (dh % 2 != 0 || r.nRot() > dh || r.nRot() % 2 != 0) throw new IllegalArgumentException("rope over head dim " + dh + " with n_rot " + r.nRot());
        int w = dh / 2, half = r.nRot() / 2;
        String name = "rope_h" + h + "_d" + dh + "_" + r.id() + (cache == null ? "" : "_kv_" + cache.name().toLowerCase());
        KernelBuilder b = new KernelBuilder(name, w).doc(name + ": " + (r.neox() ? "neox" : "normal") + " rotary embedding, theta_i = pos * "
                + r.freqScale() + " * " + r.freqBase() + "^(-2i/" + r.nRot() + ")" + (r.factors() ? " / ff[i]" : "") + (cache == null ? "" : ", written to the KV cache row pos[t]") + "; grid (T * H)");
        Buf x = b.input("x", Elem.F32), pos = b.input("pos", Elem.I32), ff = r.factors() ? b.input("ff", Elem.F32) : null;
        Buf out = b.output(cache == null ? "y" : "cache", cache == null ? Elem.F32 : cache);
        Val g = b.groupId(0), i = b.localId();
        Val t = b.div(g, b.i(h)), hh = b.rem(g, b.i(h));
        Val p = b.load(pos, t);
        Val inBase = b.mul(b.mad(hh, t, b.i(h)), b.i(dh));
        Val outBase = cache == null ? inBase : b.mul(b.mad(hh, p, b.i(h)), b.i(dh));
        b.ifThenElse(b.lt(i, b.i(half)), () -> {
            // theta built by repeated multiplication, as ggml, so positions agree to the ulp
            Val theta = b.var("theta", b.toF32(p));
            b.loop("k", b.i(0), i, b.i(1), k -> b.assign(theta, b.mul(theta, b.f(r.thetaScale()))));
            Val th = b.mul(b.f(r.freqScale()), ff == null ? theta : b.div(theta, b.load(ff, i)));
            Val c = b.cos(th), s = b.sin(th);
            Val a = r.neox() ? i : b.mul(i, b.i(2));
            Val bb = r.neox() ? b.add(i, b.i(half)) : b.add(b.mul(i, b.i(2)), b.i(1));
            Val x0 = b.load(x, b.add(inBase, a)), x1 = b.load(x, b.add(inBase, bb));
            b.store(out, b.add(outBase, a), b.sub(b.mul(x0, c), b.mul(x1, s)));
            b.store(out, b.add(outBase, bb), b.add(b.mul(x0, s), b.mul(x1, c)));
        }, () -> {
            Val e = b.add(b.i(r.nRot()), b.mul(b.sub(i, b.i(half)), b.i(2)));
            b.store(out, b.add(outBase, e), b.load(x, b.add(inBase, e)));
            Val e1 = b.add(e, b.i(1));
            b.store(out, b.add(outBase, e1), b.load(x, b.add(inBase, e1)));
        });
        return b.build();
    }

    /** cache[pos[t], h, :] = x[t, h, :]; params x, pos, cache; grid (T * H). */
    public static Kernel kvWrite(int h, int dh, Elem cache) {
        String name = "kv_write_h" + h + "_d" + dh + "_" + cache.name().toLowerCase();
        KernelBuilder b = new KernelBuilder(name, Math.min(dh, 256)).doc(name + ": cache row pos[t] = x[t]; grid (T * H)");
        Buf x = b.input("x", Elem.F32), pos = b.input("pos", Elem.I32), out = b.output("cache", cache);
        Val g = b.groupId(0), lid = b.localId();
        Val t = b.div(g, b.i(h)), hh = b.rem(g, b.i(h));
        Val p = b.load(pos, t);
        Val inBase = b.mul(b.mad(hh, t, b.i(h)), b.i(dh)), outBase = b.mul(b.mad(hh, p, b.i(h)), b.i(dh));
        b.loop("i", lid, b.i(dh), b.i(b.localSize()), i -> b.store(out, b.add(outBase, i), b.load(x, b.add(inBase, i))));
        return b.build();
    }
}
