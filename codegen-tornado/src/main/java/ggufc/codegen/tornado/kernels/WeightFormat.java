package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Val;
import ggufc.ir.DType;
import java.util.List;
import java.util.Locale;

/**
 * How kernels read a weight matrix [N, K] in its GGUF layout, rows of raw blocks kept as they are in
 * the file. Work is split in <em>units</em>: 32 values for the 32-element block formats and for
 * one 32-value sub-block of the 256-element K-quants, 4 (a vector load) or 1 value for plain
 * floats. Each format gives the dot product of one unit with an f32 activation row and the
 * dequantized value of one element; the block layouts are ggml's (see BlockCodecs for the
 * scalar reference).
 */
public enum WeightFormat {
    F32(DType.F32), F16(DType.F16), Q8_0(DType.Q8_0), Q4_0(DType.Q4_0), Q5_0(DType.Q5_0), Q4_K(DType.Q4_K), Q6_K(DType.Q6_K);

    private final DType dtype;

    WeightFormat(DType dtype) { this.dtype = dtype; }

    public DType dtype() { return dtype; }

    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** The format kernels use for weights of {@code t}, or null when there is no kernel for it. */
    public static WeightFormat of(DType t) {
        for (WeightFormat f : values()) if (f.dtype == t) return f;
        return null;
    }

    public static List<DType> supported() { return java.util.Arrays.stream(values()).map(WeightFormat::dtype).toList(); }

    /** Element type of the kernel argument holding the weights (raw blocks are bytes). */
    public Elem bufferElem() {
        return switch (this) {
            case F32 -> Elem.F32;
            case F16 -> Elem.F16;
            default -> Elem.U8;
        };
    }

    public boolean quantized() { return dtype.isQuantized(); }

    /** Values per work unit for rows of {@code k} elements. */
    public int unit(int k) {
        if (quantized()) return 32;
        return k % 4 == 0 ? 4 : 1;
    }

    /** Bytes of one row of {@code k} elements. */
    public long rowBytes(int k) { return dtype.bytesFor(k); }

    /**
     * Dot product of unit {@code u} of weight row {@code n} with {@code x[xBase + u * unit ...]}.
     * {@code xBase} must be a multiple of 4 when the unit is (vector loads).
     */
    public Val unitDot(KernelBuilder b, Buf w, Val n, int k, Val u, Buf x, Val xBase) {
        return switch (this) {
            case F32 -> {
                if (unit(k) == 1) yield b.mul(b.load(w, b.mad(u, n, b.i(k))), b.load(x, b.add(xBase, u)));
                List<Val> wv = b.load4(w, b.mad(u, n, b.i(k / 4)));
                List<Val> xv = b.load4(x, b.add(b.div(xBase, b.i(4)), u));
                yield dot4(b, wv, xv);
            }
            case F16 -> {
                if (unit(k) == 1) yield b.mul(b.load(w, b.mad(u, n, b.i(k))), b.load(x, b.add(xBase, u)));
                Val base = b.add(b.mul(n, b.i(k)), b.mul(u, b.i(4)));
                List<Val> wv = List.of(b.load(w, base), b.load(w, b.add(base, b.i(1))), b.load(w, b.add(base, b.i(2))), b.load(w, b.add(base, b.i(3))));
                List<Val> xv = b.load4(x, b.add(b.div(xBase, b.i(4)), u));
                yield dot4(b, wv, xv);
            }
            case Q8_0 -> {
                Val base = blockBase(b, n, k, u, 34);
                Val d = b.load(w, b.div(base, b.i(2)), Elem.F16);
                Val x4 = b.add(b.div(xBase, b.i(4)), b.mul(u, b.i(8)));
                Val acc = b.var("sq", b.f(0));
                b.loop("j", b.i(0), b.i(8), b.i(1), j -> {
                    List<Val> xv = b.load4(x, b.add(x4, j));
                    Val q = b.add(base, b.add(b.i(2), b.mul(j, b.i(4))));
                    Val s = acc;
                    for (int e = 0; e < 4; e++) s = b.fma(b.toF32(b.load(w, b.add(q, b.i(e)), Elem.I8)), xv.get(e), s);
                    b.assign(acc, s);
                });
                yield b.mul(d, acc);
            }
            case Q4_0, Q5_0 -> {
                boolean five = this == Q5_0;
                int bytes = five ? 22 : 18, qs = five ? 6 : 2;
                Val base = blockBase(b, n, k, u, bytes);
                Val d = b.load(w, b.div(base, b.i(2)), Elem.F16);
                Val qh = five ? le32(b, w, b.add(base, b.i(2))) : null;
                Val x4 = b.add(b.div(xBase, b.i(4)), b.mul(u, b.i(8)));
                Val acc = b.var("sq", b.f(0));
                b.loop("j", b.i(0), b.i(4), b.i(1), j -> {
                    List<Val> lo = b.load4(x, b.add(x4, j));
                    List<Val> hi = b.load4(x, b.add(x4, b.add(j, b.i(4))));
                    Val s = acc;
                    for (int e = 0; e < 4; e++) {
                        Val idx = b.add(b.mul(j, b.i(4)), b.i(e));
                        Val byt = b.load(w, b.add(base, b.add(b.i(qs), idx)), Elem.U8);
                        Val q0 = b.and(byt, b.i(15)), q1 = b.shr(byt, b.i(4));
                        if (five) {
                            q0 = b.or(q0, b.shl(b.and(b.shr(qh, idx), b.i(1)), b.i(4)));
                            q1 = b.or(q1, b.shl(b.and(b.shr(qh, b.add(idx, b.i(16))), b.i(1)), b.i(4)));
                        }
                        int off = five ? 16 : 8;
                        s = b.fma(b.toF32(b.sub(q0, b.i(off))), lo.get(e), s);
                        s = b.fma(b.toF32(b.sub(q1, b.i(off))), hi.get(e), s);
                    }
                    b.assign(acc, s);
                });
                yield b.mul(d, acc);
            }
            case Q4_K -> {
                Val sub = b.and(u, b.i(7));
                Val base = blockBase(b, n, k, b.shr(u, b.i(3)), 144);
                Val d = b.load(w, b.div(base, b.i(2)), Elem.F16);
                Val dmin = b.load(w, b.add(b.div(base, b.i(2)), b.i(1)), Elem.F16);
                Val[] sm = q4kScaleMin(b, w, base, sub);
                Val q = b.add(base, b.add(b.i(16), b.mul(b.shr(sub, b.i(1)), b.i(32))));
                Val shift = b.mul(b.and(sub, b.i(1)), b.i(4));
                Val x4 = b.add(b.div(xBase, b.i(4)), b.mul(u, b.i(8)));
                Val sq = b.var("sq", b.f(0)), sx = b.var("sx", b.f(0));
                b.loop("j", b.i(0), b.i(8), b.i(1), j -> {
                    List<Val> xv = b.load4(x, b.add(x4, j));
                    Val s = sq, t = sx;
                    for (int e = 0; e < 4; e++) {
                        Val byt = b.load(w, b.add(q, b.add(b.mul(j, b.i(4)), b.i(e))), Elem.U8);
                        s = b.fma(b.toF32(b.and(b.shr(byt, shift), b.i(15))), xv.get(e), s);
                        t = b.add(t, xv.get(e));
                    }
                    b.assign(sq, s);
                    b.assign(sx, t);
                });
                yield b.sub(b.mul(b.mul(d, b.toF32(sm[0])), sq), b.mul(b.mul(dmin, b.toF32(sm[1])), sx));
            }
            case Q6_K -> {
                Val k8 = b.and(u, b.i(7));
                Val hn = b.shr(k8, b.i(2)), kq = b.and(k8, b.i(3));
                Val base = blockBase(b, n, k, b.shr(u, b.i(3)), 210);
                Val d = b.load(w, b.add(b.div(base, b.i(2)), b.i(104)), Elem.F16);
                Val ql = b.add(base, b.add(b.mul(hn, b.i(64)), b.mul(b.and(kq, b.i(1)), b.i(32))));
                Val shift = b.mul(b.shr(kq, b.i(1)), b.i(4));
                Val qh = b.add(base, b.add(b.i(128), b.mul(hn, b.i(32))));
                Val hshift = b.mul(kq, b.i(2));
                Val sc = b.add(base, b.add(b.i(192), b.add(b.mul(hn, b.i(8)), b.mul(kq, b.i(2)))));
                Val x4 = b.add(b.div(xBase, b.i(4)), b.mul(u, b.i(8)));
                Val[] halves = new Val[2];
                for (int hlf = 0; hlf < 2; hlf++) {
                    Val acc = b.var("sq" + hlf, b.f(0));
                    int h0 = hlf;
                    b.loop("j", b.i(0), b.i(4), b.i(1), j -> {
                        Val jj = b.add(j, b.i(4 * h0));
                        List<Val> xv = b.load4(x, b.add(x4, jj));
                        Val s = acc;
                        for (int e = 0; e < 4; e++) {
                            Val l = b.add(b.mul(jj, b.i(4)), b.i(e));
                            Val lo = b.and(b.shr(b.load(w, b.add(ql, l), Elem.U8), shift), b.i(15));
                            Val hi = b.and(b.shr(b.load(w, b.add(qh, l), Elem.U8), hshift), b.i(3));
                            Val qv = b.sub(b.or(lo, b.shl(hi, b.i(4))), b.i(32));
                            s = b.fma(b.toF32(qv), xv.get(e), s);
                        }
                        b.assign(acc, s);
                    });
                    halves[hlf] = acc;
                }
                Val s0 = b.toF32(b.load(w, sc, Elem.I8)), s1 = b.toF32(b.load(w, b.add(sc, b.i(1)), Elem.I8));
                yield b.mul(d, b.fma(s0, halves[0], b.mul(s1, halves[1])));
            }
        };
    }

    /** Whether the weights take activations quantized to Q8_0 blocks (ggml's vec_dot_type Q8_0). */
    public boolean takesQ8Activations() { return this == Q8_0 || this == Q4_0 || this == Q5_0; }

    /**
     * Dot product of block {@code u} of weight row {@code n} with block {@code u} of a Q8_0
     * activation row starting at byte {@code xRow}: the integer sum of the quant products times
     * d_w * d_x, as ggml's vec_dot_q*_0_q8_0.
     */
    public Val unitDotQ8(KernelBuilder b, Buf w, Val n, int k, Val u, Buf xq, Val xRow) {
        if (!takesQ8Activations()) throw new IllegalArgumentException(this + " weights do not take Q8_0 activations");
        int bytes = this == Q8_0 ? 34 : this == Q4_0 ? 18 : 22;
        Val base = blockBase(b, n, k, u, bytes);
        Val xb = b.add(xRow, b.mul(u, b.i(34)));
        Val dw = b.load(w, b.div(base, b.i(2)), Elem.F16), dx = b.load(xq, b.div(xb, b.i(2)), Elem.F16);
        Val sumi = b.var("sumi", b.i(0));
        switch (this) {
            case Q8_0 -> b.loop("l", 0, 32, l -> b.assign(sumi, b.add(sumi, b.mul(b.load(w, b.add(base, b.add(b.i(2), l)), Elem.I8),
                    b.load(xq, b.add(xb, b.add(b.i(2), l)), Elem.I8)))));
            default -> {
                boolean five = this == Q5_0;
                Val qh = five ? le32(b, w, b.add(base, b.i(2))) : null;
                b.loop("j", 0, 16, j -> {
                    Val byt = b.load(w, b.add(base, b.add(b.i(five ? 6 : 2), j)), Elem.U8);
                    Val q0 = b.and(byt, b.i(15)), q1 = b.shr(byt, b.i(4));
                    if (five) {
                        q0 = b.or(q0, b.shl(b.and(b.shr(qh, j), b.i(1)), b.i(4)));
                        q1 = b.or(q1, b.shl(b.and(b.shr(qh, b.add(j, b.i(16))), b.i(1)), b.i(4)));
                    }
                    int off = five ? 16 : 8;
                    Val x0 = b.load(xq, b.add(xb, b.add(b.i(2), j)), Elem.I8), x1 = b.load(xq, b.add(xb, b.add(b.i(18), j)), Elem.I8);
                    b.assign(sumi, b.add(sumi, b.add(b.mul(b.sub(q0, b.i(off)), x0), b.mul(b.sub(q1, b.i(off)), x1))));
                });
            }
        }
        return b.mul(b.mul(dw, dx), b.toF32(sumi));
    }

    /** Element {@code i} of weight row {@code n}, dequantized exactly as BlockCodecs does. */
    public Val element(KernelBuilder b, Buf w, Val n, int k, Val i) {
        return switch (this) {
            case F32, F16 -> b.load(w, b.mad(i, n, b.i(k)));
            case Q8_0 -> {
                Val base = blockBase(b, n, k, b.shr(i, b.i(5)), 34);
                Val d = b.load(w, b.div(base, b.i(2)), Elem.F16);
                yield b.mul(b.toF32(b.load(w, b.add(base, b.add(b.i(2), b.and(i, b.i(31)))), Elem.I8)), d);
            }
            case Q4_0, Q5_0 -> {
                boolean five = this == Q5_0;
                Val base = blockBase(b, n, k, b.shr(i, b.i(5)), five ? 22 : 18);
                Val d = b.load(w, b.div(base, b.i(2)), Elem.F16);
                Val j = b.and(i, b.i(31));
                Val byt = b.load(w, b.add(base, b.add(b.i(five ? 6 : 2), b.and(j, b.i(15)))), Elem.U8);
                Val q = b.and(b.shr(byt, b.mul(b.shr(j, b.i(4)), b.i(4))), b.i(15));
                if (five) q = b.or(q, b.shl(b.and(b.shr(le32(b, w, b.add(base, b.i(2))), j), b.i(1)), b.i(4)));
                yield b.mul(b.toF32(b.sub(q, b.i(five ? 16 : 8))), d);
            }
            case Q4_K -> {
                Val within = b.and(i, b.i(255));
                Val sub = b.shr(within, b.i(5)), l = b.and(within, b.i(31));
                Val base = blockBase(b, n, k, b.shr(i, b.i(8)), 144);
                Val d = b.load(w, b.div(base, b.i(2)), Elem.F16);
                Val dmin = b.load(w, b.add(b.div(base, b.i(2)), b.i(1)), Elem.F16);
                Val[] sm = q4kScaleMin(b, w, base, sub);
                Val byt = b.load(w, b.add(base, b.add(b.i(16), b.add(b.mul(b.shr(sub, b.i(1)), b.i(32)), l))), Elem.U8);
                Val q = b.and(b.shr(byt, b.mul(b.and(sub, b.i(1)), b.i(4))), b.i(15));
                yield b.sub(b.mul(b.mul(d, b.toF32(sm[0])), b.toF32(q)), b.mul(dmin, b.toF32(sm[1])));
            }
            case Q6_K -> {
                Val within = b.and(i, b.i(255));
                Val hn = b.shr(within, b.i(7)), r = b.and(within, b.i(127));
                Val kq = b.shr(r, b.i(5)), l = b.and(r, b.i(31));
                Val base = blockBase(b, n, k, b.shr(i, b.i(8)), 210);
                Val d = b.load(w, b.add(b.div(base, b.i(2)), b.i(104)), Elem.F16);
                Val ql = b.load(w, b.add(base, b.add(b.add(b.mul(hn, b.i(64)), b.mul(b.and(kq, b.i(1)), b.i(32))), l)), Elem.U8);
                Val qh = b.load(w, b.add(base, b.add(b.add(b.i(128), b.mul(hn, b.i(32))), l)), Elem.U8);
                Val lo = b.and(b.shr(ql, b.mul(b.shr(kq, b.i(1)), b.i(4))), b.i(15));
                Val hi = b.and(b.shr(qh, b.mul(kq, b.i(2))), b.i(3));
                Val q = b.sub(b.or(lo, b.shl(hi, b.i(4))), b.i(32));
                Val sc = b.load(w, b.add(base, b.add(b.add(b.i(192), b.mul(hn, b.i(8))), b.add(b.mul(kq, b.i(2)), b.shr(l, b.i(4))))), Elem.I8);
                yield b.mul(b.mul(d, b.toF32(sc)), b.toF32(q));
            }
        };
    }

    /** Byte offset of block {@code blk} of row {@code n}. */
    private Val blockBase(KernelBuilder b, Val n, int k, Val blk, int blockBytes) {
        return b.add(b.mul(n, b.i(rowBytes(k))), b.mul(blk, b.i(blockBytes)));
    }

    /** Little-endian 32-bit word from four bytes (any alignment). */
    private static Val le32(KernelBuilder b, Buf w, Val at) {
        Val r = b.load(w, at, Elem.U8);
        for (int e = 1; e < 4; e++) r = b.or(r, b.shl(b.load(w, b.add(at, b.i(e)), Elem.U8), b.i(8 * e)));
        return r;
    }

    /** ggml's get_scale_min_k4 for sub-block {@code sub}: {scale, min}, 6 bits each. */
    private static Val[] q4kScaleMin(KernelBuilder b, Buf w, Val base, Val sub) {
        Val s = b.add(base, b.i(4));
        Val a = b.load(w, b.add(s, sub), Elem.U8);
        Val c = b.load(w, b.add(s, b.add(sub, b.i(4))), Elem.U8);
        Val e = b.load(w, b.add(s, b.max(b.sub(sub, b.i(4)), b.i(0))), Elem.U8);
        Val low = b.lt(sub, b.i(4));
        Val sc = b.select(low, b.and(a, b.i(63)), b.or(b.and(c, b.i(15)), b.shl(b.shr(e, b.i(6)), b.i(4))));
        Val m = b.select(low, b.and(c, b.i(63)), b.or(b.shr(c, b.i(4)), b.shl(b.shr(a, b.i(6)), b.i(4))));
        return new Val[] {sc, m};
    }

    private static Val dot4(KernelBuilder b, List<Val> w, List<Val> x) {
        Val s = b.mul(w.get(0), x.get(0));
        for (int e = 1; e < 4; e++) s = b.fma(w.get(e), x.get(e), s);
        return s;
    }
}
