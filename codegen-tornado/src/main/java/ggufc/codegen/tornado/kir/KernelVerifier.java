package ggufc.codegen.tornado.kir;

import ggufc.codegen.tornado.kir.Instr.BinOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a kernel before any renderer sees it: every operand defined before use and in scope,
 * operand types as each instruction requires, stores only to written buffers, and no barrier under
 * a condition (work-items could diverge and deadlock). Errors name the kernel and instruction.
 */
public final class KernelVerifier {
    private final Kernel kernel;

    private KernelVerifier(Kernel kernel) { this.kernel = kernel; }

    /** A broken kernel: a bug in the kernel generator, never in user input. */
    public static final class KernelError extends RuntimeException {
        KernelError(String m) { super(m); }
    }

    public static void verify(Kernel k) {
        KernelVerifier v = new KernelVerifier(k);
        Set<Integer> scope = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (KParam p : k.params()) {
            if (!names.add(p.name())) v.fail("parameter name '" + p.name() + "' repeats", null);
            if (p instanceof Val val) {
                if (val.kind() != Val.Kind.PARAM) v.fail("scalar parameter " + val + " is not of kind PARAM", null);
                scope.add(val.id());
            } else if (p instanceof Buf b && b.space() != Space.GLOBAL) {
                v.fail("parameter " + b + " is not a global buffer", null);
            }
        }
        v.block(k.body(), scope, new HashSet<>(), false);
    }

    private void block(List<Instr> body, Set<Integer> outer, Set<Integer> arraysOuter, boolean conditional) {
        Set<Integer> scope = new HashSet<>(outer);
        Set<Integer> arrays = new HashSet<>(arraysOuter);
        for (Instr in : body) {
            switch (in) {
                case Instr.Builtin b -> {
                    type(b.dst(), Scalar.I32, in);
                    if (b.dim() < 0 || b.dim() > 2) fail("dimension " + b.dim(), in);
                }
                case Instr.Unary u -> {
                    use(u.a(), scope, in);
                    switch (u.op()) {
                        case NOT -> { type(u.a(), Scalar.BOOL, in); type(u.dst(), Scalar.BOOL, in); }
                        case NEG -> { if (u.a().type() == Scalar.BOOL || u.dst().type() != u.a().type()) fail("neg of " + u.a().type(), in); }
                        case CVT -> { if (u.a().type() == Scalar.BOOL || u.dst().type() == Scalar.BOOL || u.a().type() == u.dst().type()) fail("cvt " + u.a().type() + " to " + u.dst().type(), in); }
                        default -> { type(u.a(), Scalar.F32, in); type(u.dst(), Scalar.F32, in); }
                    }
                }
                case Instr.Binary b -> {
                    use(b.a(), scope, in);
                    use(b.b(), scope, in);
                    if (b.a().type() != b.b().type()) fail("operand types differ", in);
                    Scalar t = b.a().type();
                    switch (b.op()) {
                        case AND, OR, XOR -> { if (t == Scalar.F32) fail("bitwise op on f32", in); }
                        case SHL, SHR, REM -> type(b.a(), Scalar.I32, in);
                        default -> { if (t == Scalar.BOOL && !(b.op() == BinOp.EQ || b.op() == BinOp.NE)) fail(b.op() + " on bool", in); }
                    }
                    type(b.dst(), b.op().isComparison() ? Scalar.BOOL : t, in);
                }
                case Instr.Fma f -> {
                    for (Val x : List.of(f.a(), f.b(), f.c())) { use(x, scope, in); type(x, Scalar.F32, in); }
                    type(f.dst(), Scalar.F32, in);
                }
                case Instr.Select s -> {
                    use(s.cond(), scope, in);
                    use(s.a(), scope, in);
                    use(s.b(), scope, in);
                    type(s.cond(), Scalar.BOOL, in);
                    if (s.a().type() != s.b().type() || s.dst().type() != s.a().type()) fail("select arms differ", in);
                }
                case Instr.Load l -> {
                    use(l.index(), scope, in);
                    type(l.index(), Scalar.I32, in);
                    buffer(l.buf(), arrays, in);
                    if (l.buf().space() != Space.GLOBAL && l.elem() != l.buf().elem() && !halfView(l.elem(), l.buf())) fail("only global buffers may be reinterpreted (and f32 arrays as halves)", in);
                    type(l.dst(), l.elem().register(), in);
                }
                case Instr.LoadVec4 l -> {
                    use(l.index(), scope, in);
                    type(l.index(), Scalar.I32, in);
                    if (l.buf().space() != Space.GLOBAL || l.buf().elem() != Elem.F32) fail("vector loads read global f32 buffers", in);
                    if (l.dst().size() != 4) fail("vec4 load with " + l.dst().size() + " results", in);
                    for (Val d : l.dst()) type(d, Scalar.F32, in);
                }
                case Instr.Store s -> {
                    use(s.index(), scope, in);
                    use(s.value(), scope, in);
                    type(s.index(), Scalar.I32, in);
                    buffer(s.buf(), arrays, in);
                    if (!s.buf().written()) fail("store to read-only buffer " + s.buf(), in);
                    if (s.buf().space() != Space.GLOBAL && s.elem() != s.buf().elem() && !halfView(s.elem(), s.buf())) fail("only global buffers may be reinterpreted (and f32 arrays as halves)", in);
                    type(s.value(), s.elem().register(), in);
                }
                case Instr.DeclVar d -> {
                    use(d.init(), scope, in);
                    if (d.var().kind() != Val.Kind.VAR || d.var().type() != d.init().type()) fail("bad variable declaration", in);
                }
                case Instr.Assign a -> {
                    use(a.var(), scope, in);
                    use(a.value(), scope, in);
                    if (a.var().kind() != Val.Kind.VAR || a.var().type() != a.value().type()) fail("bad assignment", in);
                }
                case Instr.DeclArray d -> {
                    if (d.array().space() == Space.GLOBAL || d.array().length() <= 0) fail("bad array " + d.array(), in);
                    if (d.array().space() == Space.LOCAL && conditional) fail("local array declared under a condition", in);
                    arrays.add(d.array().id());
                }
                case Instr.Loop l -> {
                    for (Val x : List.of(l.start(), l.end(), l.step())) { use(x, scope, in); type(x, Scalar.I32, in); }
                    if (l.step().isConst() && l.step().constant().intValue() <= 0) fail("loop step must be positive", in);
                    if (l.index().kind() != Val.Kind.INDEX) fail("loop index is not an INDEX value", in);
                    Set<Integer> inner = new HashSet<>(scope);
                    inner.add(l.index().id());
                    block(l.body(), inner, arrays, conditional);
                }
                case Instr.If i -> {
                    use(i.cond(), scope, in);
                    type(i.cond(), Scalar.BOOL, in);
                    block(i.then(), scope, arrays, true);
                    block(i.otherwise(), scope, arrays, true);
                }
                case Instr.Barrier b -> { if (conditional) fail("barrier under a condition", in); }
                case Instr.Comment c -> {}
            }
            for (Val d : defined(in)) {
                if (!scope.add(d.id())) fail("value " + d + " defined twice", in);
            }
        }
    }

    /** Values an instruction defines. */
    public static List<Val> defined(Instr in) {
        List<Val> r = new ArrayList<>();
        switch (in) {
            case Instr.Builtin b -> r.add(b.dst());
            case Instr.Unary u -> r.add(u.dst());
            case Instr.Binary b -> r.add(b.dst());
            case Instr.Fma f -> r.add(f.dst());
            case Instr.Select s -> r.add(s.dst());
            case Instr.Load l -> r.add(l.dst());
            case Instr.LoadVec4 l -> r.addAll(l.dst());
            case Instr.DeclVar d -> r.add(d.var());
            default -> {}
        }
        return r;
    }

    private void use(Val v, Set<Integer> scope, Instr in) {
        if (v.isConst()) return;
        if (!scope.contains(v.id())) fail("operand " + v + " is not defined here", in);
    }

    private void buffer(Buf b, Set<Integer> arrays, Instr in) {
        if (b.space() == Space.GLOBAL) {
            if (!kernel.params().contains(b)) fail("buffer " + b + " is not a parameter", in);
        } else if (!arrays.contains(b.id())) {
            fail("array " + b + " is not declared here", in);
        }
    }

    private void type(Val v, Scalar t, Instr in) {
        if (v.type() != t) fail(v + " is " + v.type() + ", expected " + t, in);
    }

    private void fail(String msg, Instr in) {
        throw new KernelError("kernel " + kernel.name() + ": " + msg + (in == null ? "" : " in " + in));
    }

    /** A private or local f32 array read or written as halves (f16 rounding through memory, e.g. ggml's GELU). */
    private static boolean halfView(Elem as, Buf b) { return as == Elem.F16 && b.elem() == Elem.F32; }
}
