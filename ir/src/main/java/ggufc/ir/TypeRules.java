package ggufc.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The typing rule of every op: checks operands and attributes and gives the result type. Used by
 * {@link GraphBuilder} to infer types and by {@link Verifier} to check declared ones. Messages say
 * what is wrong in the op's own terms.
 */
public final class TypeRules {
    private TypeRules() {}

    /** A rule violation (without the node's id; callers add it). */
    public static final class TypeError extends RuntimeException {
        TypeError(String m) { super(m); }
    }

    private static void check(boolean ok, String fmt, Object... args) {
        if (!ok) throw new TypeError(String.format(fmt, args));
    }

    static boolean same(Dim a, Dim b) { return a.equals(b); }

    /** Result type of {@code op} applied to operands of types {@code in}. {@code declared} is needed for declared-type ops. */
    public static TensorType infer(OpKind op, List<TensorType> in, Attrs a, TensorType declared) {
        check(op.acceptsOperands(in.size()), op.isVariadic() ? "expects at least %d operands, got %d" : "expects %d operands, got %d", Math.abs(op.arity()), in.size());
        return switch (op) {
            case INPUT, PARAM, STATE -> {
                check(a.get("name") instanceof String s && !s.isEmpty(), "needs a non-empty string attribute 'name'");
                check(declared != null, "needs a declared type");
                yield declared;
            }
            case CONSTANT -> {
                check(declared != null && declared.shape().isStatic(), "needs a declared static shape");
                check(declared.dtype() == DType.F32 || declared.dtype() == DType.I32, "constants are f32 or i32, not %s", declared.dtype().irName());
                check(a.has("values"), "needs attribute 'values'");
                int n = a.reals("values").size();
                check(n == declared.shape().staticElements(), "has %d values for shape %s", n, declared.shape());
                yield declared;
            }
            case ADD, MUL -> {
                TensorType x = in.get(0), y = in.get(1);
                f32(x, "lhs");
                f32(y, "rhs");
                check(isSuffix(y.shape(), x.shape()), "rhs shape %s does not broadcast to lhs shape %s (must equal a trailing part)", y.shape(), x.shape());
                yield x;
            }
            case SCALE -> {
                f32(in.get(0), "operand");
                a.real("factor");
                yield in.get(0);
            }
            case SOFTCAP -> {
                f32(in.get(0), "operand");
                double cap = a.real("cap");
                check(cap > 0 && Double.isFinite(cap), "attribute 'cap' must be a finite number > 0, got %s", cap);
                yield in.get(0);
            }
            case SILU, GELU, SOFTMAX -> {
                f32(in.get(0), "operand");
                check(in.get(0).rank() >= 1, "needs rank >= 1");
                yield in.get(0);
            }
            case RMS_NORM -> {
                TensorType x = in.get(0), w = in.get(1);
                f32(x, "input");
                check(x.rank() >= 1, "input must have rank >= 1");
                check(w.dtype() == DType.F32, "weight must be f32, got %s", w.dtype().irName());
                check(w.rank() == 1 && same(w.shape().dim(0), x.shape().last()), "weight %s must be [%s] (the last dim of the input)", w.shape(), x.shape().last());
                check(a.real("eps") > 0, "eps must be > 0");
                yield x;
            }
            case MATMUL -> {
                TensorType x = in.get(0), w = in.get(1);
                check(x.dtype() == DType.F32 || ACTIVATION_QUANTS.contains(x.dtype()), "activation must be f32 or %s, got %s", ACTIVATION_QUANTS, x.dtype().irName());
                yield linear(x, w);
            }
            case MATMUL_ADD -> {
                TensorType x = in.get(0), r = in.get(2);
                check(x.dtype() == DType.F32 || ACTIVATION_QUANTS.contains(x.dtype()), "activation must be f32 or %s, got %s", ACTIVATION_QUANTS, x.dtype().irName());
                TensorType y = linear(x, in.get(1));
                check(r.equals(y), "residual %s must have the product's type %s", r, y);
                yield y;
            }
            case NORM_MATMUL -> {
                TensorType x = in.get(0);
                normPrologue(x, in.get(1), a);
                long total = 0;
                boolean symbolic = false;
                for (int i = 2; i < in.size(); i++) {
                    Dim n = linear(x, in.get(i)).shape().last();
                    if (n.isSymbolic()) symbolic = true; else total += n.size();
                }
                check(!symbolic || in.size() == 3, "several weights need static output sizes");
                yield new TensorType(x.shape().replaceLast(in.size() == 3 ? in.get(2).shape().dim(0) : Dim.of(total)), DType.F32);
            }
            case SPLIT -> {
                TensorType x = in.get(0);
                f32(x, "operand");
                long off = a.integer("offset"), size = a.integer("size");
                Dim last = x.shape().last();
                check(off >= 0 && size > 0 && (last.isSymbolic() || off + size <= last.size()), "slice [%d, %d) is outside the last dim %s", off, off + size, last);
                yield x.withShape(x.shape().replaceLast(Dim.of(size)));
            }
            case GLU_MATMUL, NORM_GLU_MATMUL -> {
                int base = op == OpKind.NORM_GLU_MATMUL ? 1 : 0;
                TensorType x = in.get(0);
                if (base == 1) normPrologue(x, in.get(1), a); else f32(x, "activation");
                String act = a.string("act");
                check(act.equals("silu") || act.equals("gelu"), "act must be silu or gelu, got %s", act);
                TensorType g = linear(x, in.get(base + 1)), u = linear(x, in.get(base + 2));
                check(g.equals(u), "gate %s and up %s weights give different shapes", in.get(base + 1).shape(), in.get(base + 2).shape());
                yield g;
            }
            case ROPE_KV_WRITE -> {
                check(in.size() <= 4, "expects 3 or 4 operands (cache, x, pos, optional freq_factors), got %d", in.size());
                TypeRules.infer(OpKind.ROPE, in.subList(1, in.size()), a, null);
                yield TypeRules.infer(OpKind.KV_WRITE, in.subList(0, 3), Attrs.EMPTY, null);
            }
            case EMBED -> {
                TensorType t = in.get(0), ids = in.get(1);
                check(t.rank() == 2, "table must be 2-D [V, D], got %s", t.shape());
                check(ids.dtype() == DType.I32 && ids.rank() == 1, "ids must be 1-D i32, got %s", ids);
                yield new TensorType(new Shape(List.of(ids.shape().dim(0), t.shape().dim(1))), DType.F32);
            }
            case ROPE -> {
                TensorType x = in.get(0), pos = in.get(1);
                f32(x, "input");
                check(x.rank() == 3, "input must be [T, H, Dh], got %s", x.shape());
                positions(pos, x.shape().dim(0));
                String mode = a.string("mode");
                check(mode.equals("normal") || mode.equals("neox"), "mode must be normal or neox, got %s", mode);
                long nRot = a.integer("n_rot");
                Dim dh = x.shape().dim(2);
                check(nRot > 0 && nRot % 2 == 0 && (dh.isSymbolic() || nRot <= dh.size()), "n_rot %d must be even, positive and <= head dim %s", nRot, dh);
                check(in.size() <= 3, "expects 2 or 3 operands (x, pos, optional freq_factors), got %d", in.size());
                if (in.size() == 3) {
                    TensorType ff = in.get(2);
                    f32(ff, "freq_factors");
                    check(ff.rank() == 1 && !ff.shape().dim(0).isSymbolic() && ff.shape().dim(0).size() == nRot / 2,
                            "freq_factors must be [n_rot/2] = [%d], got %s", nRot / 2, ff.shape());
                }
                a.real("freq_base");
                a.real("freq_scale");
                yield x;
            }
            case KV_WRITE -> {
                TensorType c = in.get(0), x = in.get(1), pos = in.get(2);
                check(c.rank() == 3 && (c.dtype() == DType.F32 || c.dtype() == DType.F16), "cache must be [C, Hkv, Dh] f32 or f16, got %s", c);
                f32(x, "new rows");
                check(x.rank() == 3 && same(x.shape().dim(1), c.shape().dim(1)) && same(x.shape().dim(2), c.shape().dim(2)),
                        "new rows %s do not match cache %s in [Hkv, Dh]", x.shape(), c.shape());
                positions(pos, x.shape().dim(0));
                yield c;
            }
            case KV_READ -> {
                TensorType c = in.get(0);
                check(c.rank() == 3, "cache must be [C, Hkv, Dh], got %s", c.shape());
                check(declared != null && declared.rank() == 3 && declared.dtype() == DType.F32
                        && same(declared.shape().dim(1), c.shape().dim(1)) && same(declared.shape().dim(2), c.shape().dim(2)),
                        "result must be f32 [L, %s, %s], got %s", c.shape().dim(1), c.shape().dim(2), declared);
                yield declared;
            }
            case ATTN_SCORES -> {
                TensorType q = in.get(0), k = in.get(1);
                f32(q, "q");
                f32(k, "k");
                headsMatch(q, k, "k");
                a.real("scale");
                yield new TensorType(new Shape(List.of(q.shape().dim(1), q.shape().dim(0), k.shape().dim(0))), DType.F32);
            }
            case CAUSAL_MASK -> {
                TensorType s = in.get(0);
                f32(s, "scores");
                check(s.rank() == 3, "scores must be [H, T, L], got %s", s.shape());
                positions(in.get(1), s.shape().dim(1));
                window(a);
                yield s;
            }
            case ATTN_VALUES -> {
                TensorType p = in.get(0), v = in.get(1);
                f32(p, "probs");
                f32(v, "v");
                check(p.rank() == 3 && v.rank() == 3, "probs must be [H, T, L] and v [L, Hkv, Dh]");
                check(same(p.shape().dim(2), v.shape().dim(0)), "probs length %s differs from v length %s", p.shape().dim(2), v.shape().dim(0));
                groups(p.shape().dim(0), v.shape().dim(1));
                yield new TensorType(new Shape(List.of(p.shape().dim(1), p.shape().dim(0), v.shape().dim(2))), DType.F32);
            }
            case ATTENTION -> {
                TensorType q = in.get(0), k = in.get(1), v = in.get(2);
                f32(q, "q");
                f32(k, "k");
                f32(v, "v");
                headsMatch(q, k, "k");
                check(v.rank() == 3 && same(v.shape().dim(0), k.shape().dim(0)) && same(v.shape().dim(1), k.shape().dim(1)), "v %s must match k %s in [L, Hkv]", v.shape(), k.shape());
                positions(in.get(3), q.shape().dim(0));
                a.real("scale");
                window(a);
                softcapAttr(a);
                yield new TensorType(new Shape(List.of(q.shape().dim(0), q.shape().dim(1), v.shape().dim(2))), DType.F32);
            }
            case TOPK -> {
                TensorType x = in.get(0);
                f32(x, "operand");
                check(x.rank() >= 1, "operand must have rank >= 1");
                check(a.get("k") instanceof Long, "attribute 'k' must be a whole number, got %s", a.get("k"));
                long k = a.integer("k");
                Dim last = x.shape().last();
                check(k >= 1 && (last.isSymbolic() || k <= last.size()), "attribute 'k' must be in 1 .. %s (the last dim), got %d", last, k);
                yield new TensorType(x.shape().replaceLast(Dim.of(k)), DType.I32);
            }
            case TAKE_ALONG -> {
                TensorType x = in.get(0), idx = in.get(1);
                f32(x, "values");
                check(idx.dtype() == DType.I32, "indices must be i32, got %s", idx.dtype().irName());
                check(x.rank() >= 1 && idx.rank() == x.rank(), "indices %s must have the rank of the values %s", idx.shape(), x.shape());
                for (int i = 0; i < x.rank() - 1; i++) {
                    check(same(x.shape().dim(i), idx.shape().dim(i)), "indices %s and values %s differ outside the last dim", idx.shape(), x.shape());
                }
                yield new TensorType(idx.shape(), DType.F32);
            }
            case SUM_NORMALIZE -> {
                f32(in.get(0), "operand");
                check(in.get(0).rank() >= 1, "operand must have rank >= 1");
                double min = a.real("min");
                check(min > 0 && Double.isFinite(min), "attribute 'min' must be a finite number > 0, got %s", min);
                yield in.get(0);
            }
            case MATMUL_ID -> {
                check(in.size() <= 4, "expects 3 or 4 operands (x, w, ids, optional scale), got %d", in.size());
                TensorType x = in.get(0), w = in.get(1), ids = in.get(2);
                check(x.dtype() == DType.F32 || ACTIVATION_QUANTS.contains(x.dtype()), "activation must be f32 or %s, got %s", ACTIVATION_QUANTS, x.dtype().irName());
                check(w.rank() == 3, "expert weights must be 3-D [E, M, N], got %s", w.shape());
                check(ids.dtype() == DType.I32 && ids.rank() == 2, "ids must be 2-D i32 [T, K], got %s", ids);
                check(x.rank() == 2 || x.rank() == 3, "activation must be [T, N] or [T, K, N], got %s", x.shape());
                check(same(x.shape().dim(0), ids.shape().dim(0)), "activation %s and ids %s differ in tokens", x.shape(), ids.shape());
                if (x.rank() == 3) check(same(x.shape().dim(1), ids.shape().dim(1)), "activation %s and ids %s differ in experts per token", x.shape(), ids.shape());
                check(same(x.shape().last(), w.shape().dim(2)), "inner dims differ: activation %s, expert weights %s (x[..., N] . w[E, M, N])", x.shape(), w.shape());
                if (in.size() == 4) {
                    TensorType sc = in.get(3);
                    check(sc.dtype() == DType.F32 && sc.rank() == 1 && same(sc.shape().dim(0), w.shape().dim(0)), "scale must be f32 [%s] (one per expert), got %s", w.shape().dim(0), sc);
                }
                yield new TensorType(new Shape(List.of(ids.shape().dim(0), ids.shape().dim(1), w.shape().dim(1))), DType.F32);
            }
            case WEIGHTED_SUM -> {
                TensorType y = in.get(0), w = in.get(1);
                f32(y, "values");
                f32(w, "weights");
                check(y.rank() == 3, "values must be [T, K, N], got %s", y.shape());
                check(w.rank() == 2 && same(w.shape().dim(0), y.shape().dim(0)) && same(w.shape().dim(1), y.shape().dim(1)),
                        "weights %s must be [%s, %s] (the values' [T, K])", w.shape(), y.shape().dim(0), y.shape().dim(1));
                yield new TensorType(new Shape(List.of(y.shape().dim(0), y.shape().dim(2))), DType.F32);
            }
            case ALL_REDUCE -> {
                TensorType x = in.get(0);
                f32(x, "operand");
                for (TensorType t : in) check(t.equals(x), "operands must have one type, got %s and %s", x, t);
                check(REDUCE_TYPES.contains(a.string("reduce")), "attribute 'reduce' must be one of %s, got %s", REDUCE_TYPES, a.get("reduce"));
                yield x;
            }
            case ALL_GATHER, CONCAT -> {
                TensorType x = in.get(0);
                long axis = a.integer("axis");
                check(axis >= 0 && axis < x.rank(), "axis %d outside the operands' rank %d", axis, x.rank());
                long total = 0;
                for (TensorType t : in) {
                    check(t.dtype() == x.dtype() && t.rank() == x.rank(), "operands must have one dtype and rank, got %s and %s", x, t);
                    for (int i = 0; i < x.rank(); i++) {
                        if (i == axis) {
                            check(!t.shape().dim(i).isSymbolic(), "gathered axis %d must be static, got %s", axis, t.shape().dim(i));
                            total += t.shape().dim(i).size();
                        } else {
                            check(same(t.shape().dim(i), x.shape().dim(i)), "operands %s and %s differ outside axis %d", x.shape(), t.shape(), axis);
                        }
                    }
                }
                List<Dim> dims = new ArrayList<>(x.shape().dims());
                dims.set((int) axis, Dim.of(total));
                yield new TensorType(new Shape(dims), x.dtype());
            }
            case TRANSFER -> in.get(0);
            case RESHAPE -> {
                TensorType x = in.get(0);
                check(declared != null && declared.dtype() == x.dtype(), "result dtype must equal the operand's %s", x.dtype().irName());
                check(sameElements(x.shape(), declared.shape()), "cannot reshape %s to %s", x.shape(), declared.shape());
                yield declared;
            }
            case LAST_ROW -> {
                TensorType x = in.get(0);
                f32(x, "operand");
                check(x.rank() == 2, "operand must be [T, D], got %s", x.shape());
                yield new TensorType(Shape.of(1L, x.shape().dim(1)), DType.F32);
            }
            case DEQUANT -> {
                TensorType x = in.get(0);
                check(x.dtype().isQuantized() || x.dtype() == DType.F16 || x.dtype() == DType.BF16, "operand must be quantized or half, got %s", x.dtype().irName());
                yield x.withDType(DType.F32);
            }
            case QUANTIZE -> {
                TensorType x = in.get(0);
                f32(x, "operand");
                check(x.rank() >= 1, "operand must have rank >= 1");
                DType to = DType.fromIrName(a.string("to"));
                check(to.isQuantized() || to == DType.F16 || to == DType.BF16, "target must be quantized or half, got %s", to.irName());
                Dim last = x.shape().last();
                check(last.isSymbolic() || last.size() % to.blockSize() == 0, "rows of %s are not whole %s blocks of %d", last, to.irName(), to.blockSize());
                yield x.withDType(to);
            }
        };
    }

    /** The types an {@code all_reduce} may move its partial sums in ({reduce}). */
    public static final List<String> REDUCE_TYPES = List.of("f32", "bf16", "f16", "q8_0");

    /**
     * Activation dtypes a matmul may take besides f32: llama.cpp's CPU {@code vec_dot_type}s (q8_0
     * for Q4_0/Q5_0/Q8_0 weights, q8_1 for Q4_1/Q5_1, q8_k for K-quants, f16/bf16 for half weights).
     */
    public static final Set<DType> ACTIVATION_QUANTS = java.util.EnumSet.of(DType.Q8_0, DType.Q8_1, DType.Q8_K, DType.F16, DType.BF16);

    /**
     * The activation dtype paired with a weight dtype (llama.cpp's CPU {@code vec_dot_type}), or
     * null when the dot product takes f32 activations (f32 weights, and the activation types
     * themselves: Q8_K is no weight type). With the attribute {@code act_quant = true}, matmul-family
     * ops round each activation row to this type before the dot product with that weight.
     */
    public static DType activationTypeFor(DType weight) {
        return switch (weight) {
            case Q4_0, Q5_0, Q8_0 -> DType.Q8_0;
            case Q4_1, Q5_1, Q8_1 -> DType.Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> DType.Q8_K;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> null;
        };
    }

    /** The attribute asking a matmul-family op to round activations as {@link #activationTypeFor} says. */
    public static final String ACT_QUANT = "act_quant";

    private static TensorType linear(TensorType x, TensorType w) {
        check(w.rank() == 2, "weight must be 2-D [N, K], got %s", w.shape());
        check(x.rank() >= 1 && same(x.shape().last(), w.shape().dim(1)), "inner dims differ: activation %s, weight %s (x[..., K] . w[N, K])", x.shape(), w.shape());
        return new TensorType(x.shape().replaceLast(w.shape().dim(0)), DType.F32);
    }

    private static void normPrologue(TensorType x, TensorType nw, Attrs a) {
        f32(x, "input");
        check(nw.dtype() == DType.F32 && nw.rank() == 1 && same(nw.shape().dim(0), x.shape().last()), "norm weight %s must be f32 [%s]", nw, x.shape().last());
        check(a.real("eps") > 0, "eps must be > 0");
    }

    private static void f32(TensorType t, String what) {
        check(t.dtype() == DType.F32, "%s must be f32, got %s", what, t.dtype().irName());
    }

    private static void positions(TensorType pos, Dim tokens) {
        check(pos.dtype() == DType.I32 && pos.rank() == 1 && same(pos.shape().dim(0), tokens), "positions must be i32 [%s], got %s", tokens, pos);
    }

    private static void headsMatch(TensorType q, TensorType k, String what) {
        check(q.rank() == 3 && k.rank() == 3, "q must be [T, H, Dh] and %s [L, Hkv, Dh]", what);
        check(same(q.shape().dim(2), k.shape().dim(2)), "head dims differ: q %s, %s %s", q.shape(), what, k.shape());
        groups(q.shape().dim(1), k.shape().dim(1));
    }

    private static void groups(Dim heads, Dim kvHeads) {
        check(heads.isSymbolic() || kvHeads.isSymbolic() || (kvHeads.size() > 0 && heads.size() % kvHeads.size() == 0),
                "%s query heads are not a multiple of %s kv heads", heads, kvHeads);
    }

    /** The optional sliding-window attribute of CAUSAL_MASK and ATTENTION: absent, or a whole number >= 1. */
    private static void window(Attrs a) {
        if (!a.has("window")) return;
        check(a.get("window") instanceof Long, "attribute 'window' must be a whole number, got %s", a.get("window"));
        check(a.integer("window") >= 1, "attribute 'window' must be at least 1 (keys visible to a query), got %d", a.integer("window"));
    }

    /** The optional soft-capping attribute of ATTENTION: absent, or a finite number > 0. */
    private static void softcapAttr(Attrs a) {
        if (!a.has("softcap")) return;
        double c = a.real("softcap");
        check(c > 0 && Double.isFinite(c), "attribute 'softcap' must be a finite number > 0, got %s", c);
    }

    /** The score soft-capping of an ATTENTION node, or 0 for none. */
    public static float softcap(Node n) { return n.attrs().has("softcap") ? (float) n.attrs().real("softcap") : 0f; }

    /** The sliding window of a CAUSAL_MASK or ATTENTION node, or 0 for plain causal attention. */
    public static int window(Node n) { return n.attrs().has("window") ? (int) Math.min(Integer.MAX_VALUE, n.attrs().integer("window")) : 0; }

    /** The optional freq_factors operand of a ROPE (operand 2) or ROPE_KV_WRITE (operand 3), or null. */
    public static Node freqFactors(Node n) {
        int i = n.op() == OpKind.ROPE ? 2 : 3;
        return n.inputs().size() > i ? n.input(i) : null;
    }

    /** b equals a trailing part of a. */
    static boolean isSuffix(Shape b, Shape a) {
        if (b.rank() > a.rank()) return false;
        for (int i = 1; i <= b.rank(); i++) if (!same(b.dim(-i), a.dim(-i))) return false;
        return true;
    }

    /** Element counts equal: static products equal and the symbolic factors the same multiset. */
    static boolean sameElements(Shape x, Shape y) {
        long px = 1, py = 1;
        List<String> sx = new ArrayList<>(), sy = new ArrayList<>();
        for (Dim d : x.dims()) if (d.isSymbolic()) sx.add(d.symbol()); else px *= d.size();
        for (Dim d : y.dims()) if (d.isSymbolic()) sy.add(d.symbol()); else py *= d.size();
        sx.sort(null);
        sy.sort(null);
        return px == py && sx.equals(sy);
    }

    /** Attributes an op must carry (for messages and the parser). */
    public static Set<String> requiredAttrs(OpKind op) {
        return switch (op) {
            case INPUT, PARAM, STATE -> Set.of("name");
            case CONSTANT -> Set.of("values");
            case SCALE -> Set.of("factor");
            case RMS_NORM -> Set.of("eps");
            case ROPE, ROPE_KV_WRITE -> Set.of("mode", "n_rot", "freq_base", "freq_scale");
            case NORM_MATMUL -> Set.of("eps");
            case SPLIT -> Set.of("offset", "size");
            case GLU_MATMUL -> Set.of("act");
            case NORM_GLU_MATMUL -> Set.of("eps", "act");
            case ATTN_SCORES, ATTENTION -> Set.of("scale");
            case QUANTIZE -> Set.of("to");
            case TOPK -> Set.of("k");
            case SUM_NORMALIZE -> Set.of("min");
            case ALL_REDUCE -> Set.of("reduce");
            case ALL_GATHER, CONCAT -> Set.of("axis");
            default -> Set.of();
        };
    }
}
