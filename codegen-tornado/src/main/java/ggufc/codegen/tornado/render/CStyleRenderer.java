package ggufc.codegen.tornado.render;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Instr;
import ggufc.codegen.tornado.kir.KParam;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.Space;
import ggufc.codegen.tornado.kir.Val;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders kernel IR as C-style source: one statement per instruction, values named as in the IR,
 * structured control flow as written. Everything language-specific comes from a {@link Syntax}.
 */
public final class CStyleRenderer {
    private final Syntax syntax;

    public CStyleRenderer(Syntax syntax) { this.syntax = syntax; }

    /** The kernel's full source (signature and body). */
    public String render(Kernel k) {
        StringBuilder sb = new StringBuilder();
        for (String line : k.doc().lines().toList()) sb.append("// ").append(line).append('\n');
        sb.append(syntax.signature(k, params(k))).append(" {\n");
        body(k.body(), 1, sb);
        sb.append("}\n");
        return sb.toString();
    }

    /** Just the statements of the body, indented by {@code depth} levels (for embedding in generated Java). */
    public String renderBody(Kernel k, int depth) {
        StringBuilder sb = new StringBuilder();
        body(k.body(), depth, sb);
        return sb.toString();
    }

    public List<String> params(Kernel k) {
        List<String> ps = new ArrayList<>();
        for (KParam p : k.params()) {
            ps.add(switch (p) {
                case Buf b -> syntax.globalParam(b);
                case Val v -> syntax.scalarParam(syntax.type(v.type()), v.name());
            });
        }
        return ps;
    }

    private void body(List<Instr> instrs, int depth, StringBuilder sb) {
        String ind = "    ".repeat(depth);
        String c = syntax.constKeyword();
        for (Instr in : instrs) {
            switch (in) {
                case Instr.Builtin b -> line(sb, ind, c + "int " + b.dst().name() + " = " + syntax.builtin(b.kind(), b.dim()) + ";");
                case Instr.Unary u -> def(sb, ind, u.dst(), syntax.unary(u.op(), u.dst().type(), x(u.a())));
                case Instr.Binary b -> def(sb, ind, b.dst(), syntax.binary(b.op(), b.a().type(), x(b.a()), x(b.b())));
                case Instr.Fma f -> def(sb, ind, f.dst(), syntax.fma(x(f.a()), x(f.b()), x(f.c())));
                case Instr.Select s -> def(sb, ind, s.dst(), x(s.cond()) + " ? " + x(s.a()) + " : " + x(s.b()));
                case Instr.Load l -> def(sb, ind, l.dst(), syntax.load(l.buf(), x(l.index()), l.elem()));
                case Instr.LoadVec4 l -> {
                    for (String s : syntax.load4(l.buf(), x(l.index()), l.dst().stream().map(Val::name).toList())) line(sb, ind, s);
                }
                case Instr.Store s -> line(sb, ind, syntax.store(s.buf(), x(s.index()), x(s.value()), s.elem()));
                case Instr.DeclVar d -> line(sb, ind, syntax.type(d.var().type()) + " " + d.var().name() + " = " + x(d.init()) + ";");
                case Instr.Assign a -> line(sb, ind, a.var().name() + " = " + x(a.value()) + ";");
                case Instr.DeclArray d -> line(sb, ind, d.array().space() == Space.LOCAL ? syntax.localArray(d.array()) : syntax.privateArray(d.array()));
                case Instr.Loop l -> {
                    String i = l.index().name();
                    String step = l.step().isConst() && l.step().constant().intValue() == 1 ? i + "++" : i + " += " + x(l.step());
                    line(sb, ind, "for (int " + i + " = " + x(l.start()) + "; " + i + " < " + x(l.end()) + "; " + step + ") {");
                    body(l.body(), depth + 1, sb);
                    line(sb, ind, "}");
                }
                case Instr.If i -> {
                    line(sb, ind, "if (" + x(i.cond()) + ") {");
                    body(i.then(), depth + 1, sb);
                    if (!i.otherwise().isEmpty()) {
                        line(sb, ind, "} else {");
                        body(i.otherwise(), depth + 1, sb);
                    }
                    line(sb, ind, "}");
                }
                case Instr.Barrier b -> line(sb, ind, syntax.barrier());
                case Instr.Comment cm -> line(sb, ind, "// " + cm.text());
            }
        }
    }

    private void def(StringBuilder sb, String ind, Val dst, String expr) {
        line(sb, ind, syntax.constKeyword() + syntax.type(dst.type()) + " " + dst.name() + " = " + expr + ";");
    }

    private static void line(StringBuilder sb, String ind, String s) { sb.append(ind).append(s).append('\n'); }

    /** An operand: a name, or a literal for constants. */
    private String x(Val v) {
        if (!v.isConst()) return v.name();
        return switch (v.type()) {
            case F32 -> syntax.floatLiteral(v.constant().floatValue());
            case I32 -> syntax.intLiteral(v.constant().intValue());
            case BOOL -> syntax.boolLiteral(v.constant().intValue() != 0);
        };
    }

    /** The whole OpenCL C program for a set of kernels. */
    public static String openClProgram(List<Kernel> kernels) {
        CStyleRenderer r = new CStyleRenderer(Syntax.OPENCL);
        StringBuilder sb = new StringBuilder("// Generated by ggufc from the kernel IR (OpenCL C 1.2; halves via vload_half/vstore_half).\n\n");
        for (Kernel k : kernels) sb.append(r.render(k)).append('\n');
        return sb.toString();
    }
}
