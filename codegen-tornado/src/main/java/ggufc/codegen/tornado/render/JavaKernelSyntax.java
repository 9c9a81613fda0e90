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
 * Kernel bodies as TornadoVM {@code KernelContext} Java: work-item ids from the context, local
 * arrays from {@code context.allocate*LocalArray}, buffers as TornadoVM's off-heap arrays
 * ({@code FloatArray}, {@code HalfFloatArray}, {@code IntArray}, {@code ByteArray}), math through
 * {@code TornadoMath}. Halves inside raw quant blocks are decoded by the generated class's
 * {@code halfAt} (bit arithmetic, no reinterpretation). Signatures are built by the exporter with
 * JavaPoet, so {@link #signature} is not used.
 */
public final class JavaKernelSyntax implements Syntax {
    public static final JavaKernelSyntax INSTANCE = new JavaKernelSyntax();

    private JavaKernelSyntax() {}

    @Override
    public String signature(Kernel k, List<String> params) { throw new UnsupportedOperationException("JavaPoet builds Java signatures"); }

    @Override
    public String globalParam(Buf b) { throw new UnsupportedOperationException("JavaPoet builds Java signatures"); }

    @Override
    public String scalarParam(String type, String name) { throw new UnsupportedOperationException("JavaPoet builds Java signatures"); }

    @Override
    public String constKeyword() { return "final "; }

    @Override
    public String type(Scalar s) {
        return switch (s) {
            case F32 -> "float";
            case I32 -> "int";
            case BOOL -> "boolean";
        };
    }

    @Override
    public String builtin(BuiltinKind kind, int dim) {
        String d = "xyz".substring(dim, dim + 1), up = d.toUpperCase();
        return switch (kind) {
            case GLOBAL_ID -> "context.globalId" + d;
            case LOCAL_ID -> "context.localId" + d;
            case GROUP_ID -> "context.groupId" + d;
            case LOCAL_SIZE -> "context.localGroupSize" + up;
            case NUM_GROUPS -> "(context.globalGroupSize" + up + " / context.localGroupSize" + up + ")";
        };
    }

    @Override
    public String barrier() { return "context.localBarrier();"; }

    @Override
    public String localArray(Buf b) {
        String t = b.elem() == Elem.F32 ? "float" : "int";
        return t + "[] " + b.name() + " = context.allocate" + (b.elem() == Elem.F32 ? "Float" : "Int") + "LocalArray(" + b.length() + ");";
    }

    @Override
    public String privateArray(Buf b) {
        String t = b.elem() == Elem.F32 ? "float" : "int";
        return t + "[] " + b.name() + " = new " + t + "[" + b.length() + "];";
    }

    @Override
    public String load(Buf b, String index, Elem elem) {
        if (b.space() != ggufc.codegen.tornado.kir.Space.GLOBAL) return b.name() + "[" + index + "]";
        if (elem == b.elem()) {
            return switch (elem) {
                case F32, I32 -> b.name() + ".get(" + index + ")";
                case F16 -> b.name() + ".get(" + index + ").getFloat32()";
                case U8 -> "(" + b.name() + ".get(" + index + ") & 0xFF)";
                case I8 -> "(int) " + b.name() + ".get(" + index + ")";
            };
        }
        if (b.elem() != Elem.U8) throw new IllegalArgumentException("Java kernels reinterpret only byte buffers, not " + b.elem());
        return switch (elem) {
            case F16 -> "halfAt(" + b.name() + ", " + index + ")";
            case U8 -> "(" + b.name() + ".get(" + index + ") & 0xFF)";
            case I8 -> "(int) " + b.name() + ".get(" + index + ")";
            default -> throw new IllegalArgumentException("Java kernels do not read " + elem + " from bytes");
        };
    }

    @Override
    public String store(Buf b, String index, String value, Elem elem) {
        if (b.space() != ggufc.codegen.tornado.kir.Space.GLOBAL) {
            // a half store into a float array rounds to f16 (read back as float)
            String v = elem == Elem.F16 && b.elem() != Elem.F16 ? "new HalfFloat(" + value + ").getFloat32()" : value;
            return b.name() + "[" + index + "] = " + v + ";";
        }
        if (elem != b.elem()) {
            if (b.elem() != Elem.U8) throw new IllegalArgumentException("Java kernels reinterpret only byte buffers, not " + b.elem());
            return switch (elem) {
                case F16 -> "setHalfAt(" + b.name() + ", " + index + ", " + value + ");";
                case I8, U8 -> b.name() + ".set(" + index + ", (byte) " + value + ");";
                default -> throw new IllegalArgumentException("Java kernels do not write " + elem + " into bytes");
            };
        }
        return switch (b.elem()) {
            case F32, I32 -> b.name() + ".set(" + index + ", " + value + ");";
            case F16 -> b.name() + ".set(" + index + ", new HalfFloat(" + value + "));";
            case I8, U8 -> b.name() + ".set(" + index + ", (byte) " + value + ");";
        };
    }

    @Override
    public List<String> load4(Buf b, String index, List<String> names) {
        return List.of(
                "final float " + names.get(0) + " = " + b.name() + ".get(4 * " + index + ");",
                "final float " + names.get(1) + " = " + b.name() + ".get(4 * " + index + " + 1);",
                "final float " + names.get(2) + " = " + b.name() + ".get(4 * " + index + " + 2);",
                "final float " + names.get(3) + " = " + b.name() + ".get(4 * " + index + " + 3);");
    }

    @Override
    public String floatLiteral(float f) {
        if (f == Float.POSITIVE_INFINITY) return "Float.POSITIVE_INFINITY";
        if (f == Float.NEGATIVE_INFINITY) return "Float.NEGATIVE_INFINITY";
        String s = Float.toString(f) + "f";
        return f < 0 ? "(" + s + ")" : s;
    }

    @Override
    public String unary(UnOp op, Scalar to, String a) {
        return switch (op) {
            case EXP -> "TornadoMath.exp(" + a + ")";
            case SQRT -> "TornadoMath.sqrt(" + a + ")";
            case TANH -> "TornadoMath.tanh(" + a + ")";
            case SIN -> "TornadoMath.sin(" + a + ")";
            case COS -> "TornadoMath.cos(" + a + ")";
            case ABS -> "TornadoMath.abs(" + a + ")";
            case ROUND -> "(float) (Math.signum(" + a + ") * Math.floor(Math.abs((double) " + a + ") + 0.5))";
            default -> Syntax.super.unary(op, to, a);
        };
    }

    @Override
    public String binary(BinOp op, Scalar t, String a, String b) {
        return switch (op) {
            case MAX -> "TornadoMath.max(" + a + ", " + b + ")";
            case MIN -> "TornadoMath.min(" + a + ", " + b + ")";
            default -> Syntax.super.binary(op, t, a, b);
        };
    }

    @Override
    public String fma(String a, String b, String c) { return "(" + a + " * " + b + " + " + c + ")"; }
}
