package ggufc.codegen.tornado.kir;

import ggufc.codegen.tornado.kir.Instr.BinOp;
import ggufc.codegen.tornado.kir.Instr.BuiltinKind;
import ggufc.codegen.tornado.kir.Instr.UnOp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Builds a {@link Kernel} instruction by instruction. Structured control flow takes lambdas for its
 * bodies; work-group reductions are expanded here (unrolled tree through local memory with
 * barriers), so every renderer sees only plain loads, stores and barriers.
 */
public final class KernelBuilder {
    private final String name;
    private final int localSize;
    private final List<KParam> params = new ArrayList<>();
    private final Deque<List<Instr>> blocks = new ArrayDeque<>();
    private final Set<String> names = new HashSet<>();
    private int nextId;
    private String doc = "";

    public KernelBuilder(String name, int localSize) {
        this.name = name;
        this.localSize = localSize;
        blocks.push(new ArrayList<>());
    }

    public KernelBuilder doc(String d) {
        this.doc = d;
        return this;
    }

    public int localSize() { return localSize; }

    public Kernel build() {
        if (blocks.size() != 1) throw new IllegalStateException(name + ": unclosed block");
        Kernel k = new Kernel(name, doc, params, localSize, blocks.peek());
        KernelVerifier.verify(k);
        return k;
    }

    // ---- parameters and arrays ----

    public Buf input(String n, Elem e) { return addBuf(n, e, false); }

    public Buf output(String n, Elem e) { return addBuf(n, e, true); }

    private Buf addBuf(String n, Elem e, boolean written) {
        Buf b = new Buf(nextId++, unique(n), e, Space.GLOBAL, -1, written);
        params.add(b);
        return b;
    }

    public Val scalarParam(String n, Scalar t) {
        Val v = new Val(nextId++, t, Val.Kind.PARAM, unique(n), null);
        params.add(v);
        return v;
    }

    public Buf localArray(String n, Elem e, int length) { return array(n, e, length, Space.LOCAL); }

    public Buf privateArray(String n, Elem e, int length) { return array(n, e, length, Space.PRIVATE); }

    private Buf array(String n, Elem e, int length, Space s) {
        Buf b = new Buf(nextId++, unique(n), e, s, length, true);
        emit(new Instr.DeclArray(b));
        return b;
    }

    // ---- constants and builtins ----

    public Val i(long v) {
        if (v != (int) v) throw new IllegalArgumentException("constant " + v + " does not fit i32");
        return new Val(nextId++, Scalar.I32, Val.Kind.CONST, "c" + v, (int) v);
    }

    public Val f(double v) { return new Val(nextId++, Scalar.F32, Val.Kind.CONST, "cf", (float) v); }

    public Val bool(boolean v) { return new Val(nextId++, Scalar.BOOL, Val.Kind.CONST, "cb", v ? 1 : 0); }

    public Val localId() { return builtin(BuiltinKind.LOCAL_ID, 0, "lid"); }

    public Val groupId(int dim) { return builtin(BuiltinKind.GROUP_ID, dim, "gid" + dim); }

    public Val globalId(int dim) { return builtin(BuiltinKind.GLOBAL_ID, dim, "gx" + dim); }

    public Val numGroups(int dim) { return builtin(BuiltinKind.NUM_GROUPS, dim, "ngroups" + dim); }

    private Val builtin(BuiltinKind k, int dim, String hint) {
        Val v = value(Scalar.I32, hint);
        emit(new Instr.Builtin(v, k, dim));
        return v;
    }

    // ---- arithmetic ----

    public Val add(Val a, Val b) { return bin(BinOp.ADD, a, b); }
    public Val sub(Val a, Val b) { return bin(BinOp.SUB, a, b); }
    public Val mul(Val a, Val b) { return bin(BinOp.MUL, a, b); }
    public Val div(Val a, Val b) { return bin(BinOp.DIV, a, b); }
    public Val rem(Val a, Val b) { return bin(BinOp.REM, a, b); }
    public Val max(Val a, Val b) { return bin(BinOp.MAX, a, b); }
    public Val min(Val a, Val b) { return bin(BinOp.MIN, a, b); }
    public Val and(Val a, Val b) { return bin(BinOp.AND, a, b); }
    public Val or(Val a, Val b) { return bin(BinOp.OR, a, b); }
    public Val shl(Val a, Val b) { return bin(BinOp.SHL, a, b); }
    public Val shr(Val a, Val b) { return bin(BinOp.SHR, a, b); }
    public Val lt(Val a, Val b) { return bin(BinOp.LT, a, b); }
    public Val le(Val a, Val b) { return bin(BinOp.LE, a, b); }
    public Val eq(Val a, Val b) { return bin(BinOp.EQ, a, b); }
    public Val ne(Val a, Val b) { return bin(BinOp.NE, a, b); }

    /** a + b * c for i32 index arithmetic (the usual row-major offset). */
    public Val mad(Val a, Val b, Val c) { return add(a, mul(b, c)); }

    public Val bin(BinOp op, Val a, Val b) {
        if (a.type() != b.type()) throw new IllegalArgumentException(name + ": " + op + " of " + a.type() + " and " + b.type());
        Scalar t = op.isComparison() ? Scalar.BOOL : a.type();
        Val d = value(t, "t");
        emit(new Instr.Binary(d, op, a, b));
        return d;
    }

    public Val fma(Val a, Val b, Val c) {
        Val d = value(Scalar.F32, "t");
        emit(new Instr.Fma(d, a, b, c));
        return d;
    }

    public Val select(Val cond, Val a, Val b) {
        Val d = value(a.type(), "t");
        emit(new Instr.Select(d, cond, a, b));
        return d;
    }

    public Val neg(Val a) { return un(UnOp.NEG, a, a.type()); }
    public Val exp(Val a) { return un(UnOp.EXP, a, Scalar.F32); }
    public Val sqrt(Val a) { return un(UnOp.SQRT, a, Scalar.F32); }
    public Val tanh(Val a) { return un(UnOp.TANH, a, Scalar.F32); }
    public Val sin(Val a) { return un(UnOp.SIN, a, Scalar.F32); }
    public Val cos(Val a) { return un(UnOp.COS, a, Scalar.F32); }
    public Val not(Val a) { return un(UnOp.NOT, a, Scalar.BOOL); }
    public Val round(Val a) { return un(UnOp.ROUND, a, Scalar.F32); }
    public Val abs(Val a) { return un(UnOp.ABS, a, Scalar.F32); }

    /** i32 to f32. */
    public Val toF32(Val a) { return a.type() == Scalar.F32 ? a : un(UnOp.CVT, a, Scalar.F32); }

    /** f32 to i32, truncating. */
    public Val toI32(Val a) { return a.type() == Scalar.I32 ? a : un(UnOp.CVT, a, Scalar.I32); }

    private Val un(UnOp op, Val a, Scalar t) {
        Val d = value(t, "t");
        emit(new Instr.Unary(d, op, a));
        return d;
    }

    // ---- memory ----

    public Val load(Buf b, Val index) { return load(b, index, b.elem()); }

    /** Loads {@code as} (index in units of {@code as}) from a buffer: how raw quant blocks are read. */
    public Val load(Buf b, Val index, Elem as) {
        Val d = value(as.register(), "t");
        emit(new Instr.Load(d, b, index, as));
        return d;
    }

    /** Four f32 at {@code b[4*index .. 4*index+3]}. */
    public List<Val> load4(Buf b, Val index) {
        List<Val> d = List.of(value(Scalar.F32, "t"), value(Scalar.F32, "t"), value(Scalar.F32, "t"), value(Scalar.F32, "t"));
        emit(new Instr.LoadVec4(d, b, index));
        return d;
    }

    public void store(Buf b, Val index, Val v) { emit(new Instr.Store(b, index, v, b.elem())); }

    /** Stores {@code v} as {@code as} (index in units of {@code as}): how raw quant blocks are written. */
    public void store(Buf b, Val index, Val v, Elem as) { emit(new Instr.Store(b, index, v, as)); }

    // ---- variables and control flow ----

    public Val var(String hint, Val init) {
        Val v = new Val(nextId++, init.type(), Val.Kind.VAR, unique(hint), null);
        emit(new Instr.DeclVar(v, init));
        return v;
    }

    public void assign(Val var, Val value) {
        if (var.kind() != Val.Kind.VAR) throw new IllegalArgumentException(name + ": assigning to " + var.kind() + " " + var);
        emit(new Instr.Assign(var, value));
    }

    /** for (i = start; i < end; i += step) body(i). */
    public void loop(String hint, Val start, Val end, Val step, Consumer<Val> body) {
        Val idx = new Val(nextId++, Scalar.I32, Val.Kind.INDEX, unique(hint), null);
        blocks.push(new ArrayList<>());
        body.accept(idx);
        List<Instr> b = blocks.pop();
        emit(new Instr.Loop(idx, start, end, step, b));
    }

    public void loop(String hint, int start, int end, Consumer<Val> body) { loop(hint, i(start), i(end), i(1), body); }

    public void ifThen(Val cond, Runnable then) { ifThenElse(cond, then, () -> {}); }

    public void ifThenElse(Val cond, Runnable then, Runnable otherwise) {
        blocks.push(new ArrayList<>());
        then.run();
        List<Instr> t = blocks.pop();
        blocks.push(new ArrayList<>());
        otherwise.run();
        List<Instr> o = blocks.pop();
        emit(new Instr.If(cond, t, o));
    }

    public void barrier() { emit(new Instr.Barrier()); }

    public void comment(String text) { emit(new Instr.Comment(text)); }

    // ---- work-group collectives (expanded into plain instructions) ----

    /**
     * Sum of {@code x} over the work-group, in every work-item: an unrolled tree through
     * {@code scratch} (local, at least the work-group size), with a barrier before returning so the
     * scratch can be reused. Needs a power-of-two work-group size.
     */
    public Val reduceSum(Val x, Buf scratch) { return reduce(x, scratch, BinOp.ADD); }

    public Val reduceMax(Val x, Buf scratch) { return reduce(x, scratch, BinOp.MAX); }

    private Val reduce(Val x, Buf scratch, BinOp op) {
        requirePow2();
        Val lid = localId();
        store(scratch, lid, x);
        barrier();
        for (int s = localSize / 2; s > 0; s /= 2) {
            int stride = s;
            ifThen(lt(lid, i(stride)), () -> store(scratch, lid, bin(op, load(scratch, lid), load(scratch, add(lid, i(stride))))));
            barrier();
        }
        Val r = load(scratch, i(0));
        barrier();
        return r;
    }

    /**
     * The largest {@code x} over the work-group and the smallest {@code idx} holding it (ties go
     * to the lowest index, as a sequential argmax), in every work-item.
     */
    public Val[] reduceArgMax(Val x, Val idx, Buf vals, Buf idxs) {
        requirePow2();
        Val lid = localId();
        store(vals, lid, x);
        store(idxs, lid, idx);
        barrier();
        for (int s = localSize / 2; s > 0; s /= 2) {
            int stride = s;
            ifThen(lt(lid, i(stride)), () -> {
                Val other = add(lid, i(stride));
                Val va = load(vals, lid), vb = load(vals, other), ia = load(idxs, lid), ib = load(idxs, other);
                Val takeB = bin(BinOp.OR, lt(va, vb), bin(BinOp.AND, eq(va, vb), lt(ib, ia)));
                store(vals, lid, select(takeB, vb, va));
                store(idxs, lid, select(takeB, ib, ia));
            });
            barrier();
        }
        Val[] r = {load(vals, i(0)), load(idxs, i(0))};
        barrier();
        return r;
    }

    private void requirePow2() {
        if (Integer.bitCount(localSize) != 1) throw new IllegalStateException(name + ": reductions need a power-of-two work-group size, not " + localSize);
    }

    // ---- internals ----

    private Val value(Scalar t, String hint) { return new Val(nextId++, t, Val.Kind.VALUE, unique(hint), null); }

    private String unique(String hint) {
        String n = hint;
        for (int k = 1; !names.add(n); k++) n = hint + k;
        return n;
    }

    private void emit(Instr i) { blocks.peek().add(i); }
}
