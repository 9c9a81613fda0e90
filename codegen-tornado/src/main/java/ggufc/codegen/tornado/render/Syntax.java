package ggufc.codegen.tornado.render;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Instr.BinOp;
import ggufc.codegen.tornado.kir.Instr.BuiltinKind;
import ggufc.codegen.tornado.kir.Instr.UnOp;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.Scalar;
import java.util.List;

/**
 * What differs between C-style kernel languages (after tinygrad's {@code CStyleLanguage}): the
 * defaults are plain C; {@link #OPENCL} and {@link JavaKernelSyntax} override the rest. The shared
 * statement structure lives in {@link CStyleRenderer}.
 */
public interface Syntax {
    /** The kernel's signature line(s), without the opening brace. */
    String signature(Kernel k, List<String> params);

    String globalParam(Buf b);

    String scalarParam(String type, String name);

    String type(Scalar s);

    String builtin(BuiltinKind kind, int dim);

    String barrier();

    String localArray(Buf b);

    String privateArray(Buf b);

    /** Reads {@code b[index]} as {@code elem} (index in units of elem). */
    String load(Buf b, String index, Elem elem);

    String store(Buf b, String index, String value, Elem elem);

    /** Statements reading four f32 at {@code b[4*index]} into {@code names}. */
    List<String> load4(Buf b, String index, List<String> names);

    /** Keyword making a local definition immutable ({@code const }, {@code final }), or empty. */
    default String constKeyword() { return "const "; }

    default String floatLiteral(float f) {
        if (f == Float.POSITIVE_INFINITY) return "INFINITY";
        if (f == Float.NEGATIVE_INFINITY) return "(-INFINITY)";
        String s = Float.toString(f);
        return (f < 0 ? "(" + s + "f)" : s + "f");
    }

    default String intLiteral(int i) { return i < 0 ? "(" + i + ")" : Integer.toString(i); }

    default String boolLiteral(boolean b) { return b ? "true" : "false"; }

    default String unary(UnOp op, Scalar to, String a) {
        return switch (op) {
            case NEG -> "-" + a;
            case NOT -> "!" + a;
            case CVT -> "(" + type(to) + ")" + a;
            case EXP -> "exp(" + a + ")";
            case SQRT -> "sqrt(" + a + ")";
            case TANH -> "tanh(" + a + ")";
            case SIN -> "sin(" + a + ")";
            case COS -> "cos(" + a + ")";
            case ROUND -> "round(" + a + ")";
            case ABS -> "fabs(" + a + ")";
        };
    }

    default String binary(BinOp op, Scalar t, String a, String b) {
        return switch (op) {
            case ADD -> a + " + " + b;
            case SUB -> a + " - " + b;
            case MUL -> a + " * " + b;
            case DIV -> a + " / " + b;
            case REM -> a + " % " + b;
            case MAX -> (t == Scalar.F32 ? "fmax(" : "max(") + a + ", " + b + ")";
            case MIN -> (t == Scalar.F32 ? "fmin(" : "min(") + a + ", " + b + ")";
            case AND -> a + (t == Scalar.BOOL ? " && " : " & ") + b;
            case OR -> a + (t == Scalar.BOOL ? " || " : " | ") + b;
            case XOR -> a + " ^ " + b;
            case SHL -> a + " << " + b;
            case SHR -> a + " >> " + b;
            case LT -> a + " < " + b;
            case LE -> a + " <= " + b;
            case EQ -> a + " == " + b;
            case NE -> a + " != " + b;
        };
    }

    default String fma(String a, String b, String c) { return "fma(" + a + ", " + b + ", " + c + ")"; }

    /** OpenCL C 1.2: halves only through vload_half/vstore_half (no cl_khr_fp16 needed). */
    Syntax OPENCL = new Syntax() {
        @Override
        public String signature(Kernel k, List<String> params) {
            return "__kernel __attribute__((reqd_work_group_size(" + k.localSize() + ", 1, 1)))\nvoid " + k.name() + "(" + String.join(", ", params) + ")";
        }

        @Override
        public String globalParam(Buf b) {
            return "__global " + (b.written() ? "" : "const ") + b.elem().cName() + "* restrict " + b.name();
        }

        @Override
        public String scalarParam(String type, String name) { return "const " + type + " " + name; }

        @Override
        public String type(Scalar s) {
            return switch (s) {
                case F32 -> "float";
                case I32 -> "int";
                case BOOL -> "bool";
            };
        }

        @Override
        public String builtin(BuiltinKind kind, int dim) {
            return switch (kind) {
                case GLOBAL_ID -> "(int)get_global_id(" + dim + ")";
                case LOCAL_ID -> "(int)get_local_id(" + dim + ")";
                case GROUP_ID -> "(int)get_group_id(" + dim + ")";
                case LOCAL_SIZE -> "(int)get_local_size(" + dim + ")";
                case NUM_GROUPS -> "(int)get_num_groups(" + dim + ")";
            };
        }

        @Override
        public String barrier() { return "barrier(CLK_LOCAL_MEM_FENCE);"; }

        @Override
        public String localArray(Buf b) { return "__local " + b.elem().cName() + " " + b.name() + "[" + b.length() + "];"; }

        @Override
        public String privateArray(Buf b) { return b.elem().cName() + " " + b.name() + "[" + b.length() + "];"; }

        @Override
        public String load(Buf b, String index, Elem elem) {
            String ptr = elem == b.elem() ? b.name() : "((" + space(b) + (b.written() ? "" : "const ") + elem.cName() + "*)" + b.name() + ")";
            if (elem == Elem.F16) return "vload_half(" + index + ", " + ptr + ")";
            String v = ptr + "[" + index + "]";
            return elem == Elem.I8 || elem == Elem.U8 ? "(int)" + v : v;
        }

        private String space(Buf b) {
            return switch (b.space()) {
                case GLOBAL -> "__global ";
                case LOCAL -> "__local ";
                case PRIVATE -> "";
            };
        }

        @Override
        public String store(Buf b, String index, String value, Elem elem) {
            String ptr = elem == b.elem() ? b.name() : "((" + space(b) + elem.cName() + "*)" + b.name() + ")";
            return switch (elem) {
                case F16 -> "vstore_half_rte(" + value + ", " + index + ", " + ptr + ");";
                case I8 -> ptr + "[" + index + "] = (char)" + value + ";";
                case U8 -> ptr + "[" + index + "] = (uchar)" + value + ";";
                default -> ptr + "[" + index + "] = " + value + ";";
            };
        }

        @Override
        public List<String> load4(Buf b, String index, List<String> names) {
            String v = names.get(0) + "_v4";
            return List.of("const float4 " + v + " = vload4(" + index + ", " + b.name() + ");",
                    "const float " + names.get(0) + " = " + v + ".s0;", "const float " + names.get(1) + " = " + v + ".s1;",
                    "const float " + names.get(2) + " = " + v + ".s2;", "const float " + names.get(3) + " = " + v + ".s3;");
        }
    };
}
