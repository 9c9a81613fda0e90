package ggufc.codegen.tornado.render;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Instr;
import ggufc.codegen.tornado.kir.Instr.BuiltinKind;
import ggufc.codegen.tornado.kir.KParam;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.Scalar;
import ggufc.codegen.tornado.kir.Space;
import ggufc.codegen.tornado.kir.Val;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders kernel IR as a binary SPIR-V 1.0 module for the OpenCL (Kernel) environment: Physical64
 * addressing, one {@code OpEntryPoint Kernel} per kernel with its {@code LocalSize}, buffers as
 * CrossWorkgroup pointers, local arrays as Workgroup variables, halves through OpenCL.std's
 * {@code vload_half}/{@code vstore_half_r} (so only Float16Buffer is needed, no half arithmetic).
 * IR variables and loop counters are Function-storage variables read and written with
 * OpLoad/OpStore, so the module needs no phi nodes; control flow is plain branches, which the
 * Kernel execution model allows without merge declarations.
 */
public final class SpirvRenderer {
    // opcodes (SPIR-V 1.0 unified spec)
    private static final int OpName = 5, OpExtInstImport = 11, OpExtInst = 12, OpMemoryModel = 14, OpEntryPoint = 15, OpExecutionMode = 16, OpCapability = 17;
    private static final int OpTypeVoid = 19, OpTypeBool = 20, OpTypeInt = 21, OpTypeFloat = 22, OpTypeVector = 23, OpTypeArray = 28, OpTypePointer = 32, OpTypeFunction = 33;
    private static final int OpConstantTrue = 41, OpConstantFalse = 42, OpConstant = 43, OpFunction = 54, OpFunctionParameter = 55, OpFunctionEnd = 56;
    private static final int OpVariable = 59, OpLoad = 61, OpStore = 62, OpInBoundsAccessChain = 66, OpInBoundsPtrAccessChain = 70, OpDecorate = 71;
    private static final int OpCompositeExtract = 81, OpConvertFToS = 110, OpConvertSToF = 111, OpUConvert = 113, OpSConvert = 114, OpBitcast = 124;
    private static final int OpSNegate = 126, OpFNegate = 127, OpIAdd = 128, OpFAdd = 129, OpISub = 130, OpFSub = 131, OpIMul = 132, OpFMul = 133;
    private static final int OpSDiv = 135, OpFDiv = 136, OpSRem = 138, OpLogicalEqual = 164, OpLogicalNotEqual = 165, OpLogicalOr = 166, OpLogicalAnd = 167;
    private static final int OpLogicalNot = 168, OpSelect = 169, OpIEqual = 170, OpINotEqual = 171, OpSLessThan = 177, OpSLessThanEqual = 179;
    private static final int OpFOrdEqual = 180, OpFUnordNotEqual = 183, OpFOrdLessThan = 184, OpFOrdLessThanEqual = 188;
    private static final int OpShiftRightArithmetic = 195, OpShiftLeftLogical = 196, OpBitwiseOr = 197, OpBitwiseXor = 198, OpBitwiseAnd = 199;
    private static final int OpControlBarrier = 224, OpLabel = 248, OpBranch = 249, OpBranchConditional = 250, OpReturn = 253;
    // enums
    private static final int CAP_ADDRESSES = 4, CAP_KERNEL = 6, CAP_FLOAT16_BUFFER = 8, CAP_INT64 = 11, CAP_INT8 = 39;
    private static final int SC_INPUT = 1, SC_WORKGROUP = 4, SC_CROSS_WORKGROUP = 5, SC_FUNCTION = 7;
    private static final int DEC_BUILTIN = 11, DEC_CONSTANT = 22;
    private static final int SCOPE_WORKGROUP = 2, SEM_WORKGROUP_SEQ_CST = 0x110;
    // OpenCL.std extended instructions
    private static final int CL_FABS = 23, CL_ROUND = 55;
    private static final int CL_COS = 14, CL_EXP = 19, CL_FMA = 26, CL_FMAX = 27, CL_FMIN = 28, CL_SIN = 57, CL_SQRT = 61, CL_TANH = 63;
    private static final int CL_S_MAX = 156, CL_S_MIN = 158, CL_VLOADN = 171, CL_VLOAD_HALF = 173, CL_VSTORE_HALF_R = 176;
    private static final Map<BuiltinKind, Integer> BUILTIN_IDS = Map.of(BuiltinKind.NUM_GROUPS, 24, BuiltinKind.LOCAL_SIZE, 25, BuiltinKind.GROUP_ID, 26,
            BuiltinKind.LOCAL_ID, 27, BuiltinKind.GLOBAL_ID, 28);

    private final List<Integer> entries = new ArrayList<>(), modes = new ArrayList<>(), names = new ArrayList<>(), decorations = new ArrayList<>();
    private final List<Integer> globals = new ArrayList<>(), functions = new ArrayList<>();
    private final Map<String, Integer> types = new HashMap<>(), constants = new HashMap<>();
    private final Map<BuiltinKind, Integer> builtinVars = new EnumMap<>(BuiltinKind.class);
    private int nextId = 1;
    private int extId;

    // per function
    private List<Integer> code;
    private final Map<Integer, Integer> values = new HashMap<>(), pointers = new HashMap<>(), arrays = new HashMap<>(), bufParams = new HashMap<>();

    private SpirvRenderer() {}

    /** The binary module (little-endian words) holding every kernel as an entry point. */
    public static byte[] module(List<Kernel> kernels) {
        SpirvRenderer r = new SpirvRenderer();
        r.extId = r.id();
        for (Kernel k : kernels) r.kernel(k);
        return r.assemble();
    }

    private byte[] assemble() {
        List<Integer> w = new ArrayList<>();
        w.addAll(List.of(0x07230203, 0x00010000, 0, nextId, 0));
        for (int cap : new int[] {CAP_ADDRESSES, CAP_KERNEL, CAP_INT64, CAP_INT8, CAP_FLOAT16_BUFFER}) inst(w, OpCapability, cap);
        List<Integer> imp = new ArrayList<>(List.of(extId));
        imp.addAll(string("OpenCL.std"));
        inst(w, OpExtInstImport, imp);
        inst(w, OpMemoryModel, 2, 2);
        w.addAll(entries);
        w.addAll(modes);
        w.addAll(names);
        w.addAll(decorations);
        w.addAll(globals);
        w.addAll(functions);
        ByteBuffer bb = ByteBuffer.allocate(4 * w.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : w) bb.putInt(x);
        return bb.array();
    }

    // ---- kernels ----

    private void kernel(Kernel k) {
        values.clear();
        pointers.clear();
        arrays.clear();
        bufParams.clear();
        code = functions;
        int fn = id();
        name(fn, k.name());
        List<Integer> paramTypes = new ArrayList<>();
        for (KParam p : k.params()) paramTypes.add(p instanceof Buf b ? ptr(SC_CROSS_WORKGROUP, elemType(b.elem())) : scalarType(((Val) p).type()));
        List<Integer> fnTypeOps = new ArrayList<>(List.of(voidType()));
        fnTypeOps.addAll(paramTypes);
        int fnType = type("fn" + fnTypeOps, OpTypeFunction, fnTypeOps);
        // builtins and workgroup arrays live at module scope; collect them first so the entry point can list its interface
        List<Integer> iface = new ArrayList<>();
        collect(k.body(), iface);
        List<Integer> ep = new ArrayList<>(List.of(6, fn));
        ep.addAll(string(k.name()));
        ep.addAll(iface);
        inst(entries, OpEntryPoint, ep);
        inst(modes, OpExecutionMode, fn, 17, k.localSize(), 1, 1);
        inst(code, OpFunction, voidType(), fn, 0, fnType);
        for (int i = 0; i < k.params().size(); i++) {
            int pid = id();
            inst(code, OpFunctionParameter, paramTypes.get(i), pid);
            KParam p = k.params().get(i);
            name(pid, p.name());
            if (p instanceof Buf b) bufParams.put(b.id(), pid);
            else values.put(((Val) p).id(), pid);
        }
        inst(code, OpLabel, id());
        functionVariables(k.body());
        block(k.body());
        inst(code, OpReturn);
        inst(code, OpFunctionEnd);
    }

    /** Module-scope variables a kernel uses: builtins (its interface) and local arrays. */
    private void collect(List<Instr> body, List<Integer> iface) {
        for (Instr in : body) {
            switch (in) {
                case Instr.Builtin b -> {
                    int v = builtinVar(b.kind());
                    if (!iface.contains(v)) iface.add(v);
                }
                case Instr.DeclArray d when d.array().space() == Space.LOCAL -> {
                    int arr = type("arr" + d.array().elem() + d.array().length(), OpTypeArray, elemType(d.array().elem()), constInt(d.array().length()));
                    int var = id();
                    inst(globals, OpVariable, ptr(SC_WORKGROUP, arr), var, SC_WORKGROUP);
                    name(var, d.array().name());
                    arrays.put(d.array().id(), var);
                }
                case Instr.Loop l -> collect(l.body(), iface);
                case Instr.If f -> {
                    collect(f.then(), iface);
                    collect(f.otherwise(), iface);
                }
                default -> {}
            }
        }
    }

    /** Function-storage variables (IR variables, loop counters, private arrays) at the top of the first block. */
    private void functionVariables(List<Instr> body) {
        for (Instr in : body) {
            switch (in) {
                case Instr.DeclVar d -> pointers.put(d.var().id(), fnVar(scalarType(d.var().type()), d.var().name()));
                case Instr.DeclArray d when d.array().space() == Space.PRIVATE -> {
                    int arr = type("arr" + d.array().elem() + d.array().length(), OpTypeArray, elemType(d.array().elem()), constInt(d.array().length()));
                    arrays.put(d.array().id(), fnVar(arr, d.array().name()));
                }
                case Instr.Loop l -> {
                    pointers.put(l.index().id(), fnVar(scalarType(Scalar.I32), l.index().name()));
                    functionVariables(l.body());
                }
                case Instr.If f -> {
                    functionVariables(f.then());
                    functionVariables(f.otherwise());
                }
                default -> {}
            }
        }
    }

    private int fnVar(int pointee, String nm) {
        int v = id();
        inst(code, OpVariable, ptr(SC_FUNCTION, pointee), v, SC_FUNCTION);
        name(v, nm);
        return v;
    }

    private void block(List<Instr> body) {
        for (Instr in : body) {
            switch (in) {
                case Instr.Builtin b -> {
                    int vec = id(), wide = id(), d = def(b.dst());
                    inst(code, OpLoad, v3i64(), vec, builtinVar(b.kind()));
                    inst(code, OpCompositeExtract, i64(), wide, vec, b.dim());
                    inst(code, OpUConvert, scalarType(Scalar.I32), d, wide);
                }
                case Instr.Unary u -> unary(u);
                case Instr.Binary b -> binary(b);
                case Instr.Fma f -> ext(def(f.dst()), scalarType(Scalar.F32), CL_FMA, op(f.a()), op(f.b()), op(f.c()));
                case Instr.Select s -> {
                    int c = op(s.cond()), a = op(s.a()), b = op(s.b());
                    inst(code, OpSelect, scalarType(s.dst().type()), def(s.dst()), c, a, b);
                }
                case Instr.Load l -> load(l);
                case Instr.LoadVec4 l -> {
                    int vec = id();
                    ext(vec, type("v4f32", OpTypeVector, scalarType(Scalar.F32), 4), CL_VLOADN, index64(op(l.index())), bufParams.get(l.buf().id()), 4);
                    for (int e = 0; e < 4; e++) inst(code, OpCompositeExtract, scalarType(Scalar.F32), def(l.dst().get(e)), vec, e);
                }
                case Instr.Store s -> store(s);
                case Instr.DeclVar d -> inst(code, OpStore, pointers.get(d.var().id()), op(d.init()));
                case Instr.Assign a -> inst(code, OpStore, pointers.get(a.var().id()), op(a.value()));
                case Instr.DeclArray d -> {}
                case Instr.Loop l -> {
                    int idx = pointers.get(l.index().id());
                    inst(code, OpStore, idx, op(l.start()));
                    int header = id(), bodyL = id(), merge = id();
                    inst(code, OpBranch, header);
                    inst(code, OpLabel, header);
                    int i = id(), c = id();
                    inst(code, OpLoad, scalarType(Scalar.I32), i, idx);
                    int end = op(l.end());
                    inst(code, OpSLessThan, boolType(), c, i, end);
                    inst(code, OpBranchConditional, c, bodyL, merge);
                    inst(code, OpLabel, bodyL);
                    block(l.body());
                    int cur = id(), next = id();
                    inst(code, OpLoad, scalarType(Scalar.I32), cur, idx);
                    inst(code, OpIAdd, scalarType(Scalar.I32), next, cur, op(l.step()));
                    inst(code, OpStore, idx, next);
                    inst(code, OpBranch, header);
                    inst(code, OpLabel, merge);
                }
                case Instr.If f -> {
                    int then = id(), other = id(), end = id();
                    inst(code, OpBranchConditional, op(f.cond()), then, other);
                    inst(code, OpLabel, then);
                    block(f.then());
                    inst(code, OpBranch, end);
                    inst(code, OpLabel, other);
                    block(f.otherwise());
                    inst(code, OpBranch, end);
                    inst(code, OpLabel, end);
                }
                case Instr.Barrier b -> inst(code, OpControlBarrier, constInt(SCOPE_WORKGROUP), constInt(SCOPE_WORKGROUP), constInt(SEM_WORKGROUP_SEQ_CST));
                case Instr.Comment c -> {}
            }
        }
    }

    private void unary(Instr.Unary u) {
        int t = scalarType(u.dst().type()), a = op(u.a()), d = def(u.dst());
        switch (u.op()) {
            case NEG -> inst(code, u.dst().type() == Scalar.F32 ? OpFNegate : OpSNegate, t, d, a);
            case NOT -> inst(code, OpLogicalNot, t, d, a);
            case CVT -> inst(code, u.dst().type() == Scalar.F32 ? OpConvertSToF : OpConvertFToS, t, d, a);
            case EXP -> ext(d, t, CL_EXP, a);
            case SQRT -> ext(d, t, CL_SQRT, a);
            case TANH -> ext(d, t, CL_TANH, a);
            case SIN -> ext(d, t, CL_SIN, a);
            case COS -> ext(d, t, CL_COS, a);
            case ROUND -> ext(d, t, CL_ROUND, a);
            case ABS -> ext(d, t, CL_FABS, a);
        }
    }

    private void binary(Instr.Binary b) {
        Scalar t = b.a().type();
        int x = op(b.a()), y = op(b.b()), d = def(b.dst()), rt = scalarType(b.dst().type());
        if (t == Scalar.BOOL) {
            int opc = switch (b.op()) {
                case AND -> OpLogicalAnd;
                case OR -> OpLogicalOr;
                case XOR, NE -> OpLogicalNotEqual;
                case EQ -> OpLogicalEqual;
                default -> throw new IllegalStateException(b.op() + " on bool");
            };
            inst(code, opc, rt, d, x, y);
            return;
        }
        boolean fl = t == Scalar.F32;
        switch (b.op()) {
            case MAX -> ext(d, rt, fl ? CL_FMAX : CL_S_MAX, x, y);
            case MIN -> ext(d, rt, fl ? CL_FMIN : CL_S_MIN, x, y);
            default -> {
                int opc = switch (b.op()) {
                    case ADD -> fl ? OpFAdd : OpIAdd;
                    case SUB -> fl ? OpFSub : OpISub;
                    case MUL -> fl ? OpFMul : OpIMul;
                    case DIV -> fl ? OpFDiv : OpSDiv;
                    case REM -> OpSRem;
                    case AND -> OpBitwiseAnd;
                    case OR -> OpBitwiseOr;
                    case XOR -> OpBitwiseXor;
                    case SHL -> OpShiftLeftLogical;
                    case SHR -> OpShiftRightArithmetic;
                    case LT -> fl ? OpFOrdLessThan : OpSLessThan;
                    case LE -> fl ? OpFOrdLessThanEqual : OpSLessThanEqual;
                    case EQ -> fl ? OpFOrdEqual : OpIEqual;
                    case NE -> fl ? OpFUnordNotEqual : OpINotEqual;
                    default -> throw new IllegalStateException(b.op().toString());
                };
                inst(code, opc, rt, d, x, y);
            }
        }
    }

    private void load(Instr.Load l) {
        Buf b = l.buf();
        Elem e = l.elem();
        int d = def(l.dst()), idx = op(l.index());
        if (b.space() != Space.GLOBAL && e == Elem.F16 && b.elem() != Elem.F16) {
            ext(d, scalarType(Scalar.F32), CL_VLOAD_HALF, index64(idx), halfView(b));
            return;
        }
        if (b.space() != Space.GLOBAL) {
            int p = id();
            inst(code, OpInBoundsAccessChain, ptr(storage(b), elemType(e)), p, arrays.get(b.id()), idx);
            inst(code, OpLoad, elemType(e), d, p);
            return;
        }
        int base = basePointer(b, e);
        if (e == Elem.F16) {
            ext(d, scalarType(Scalar.F32), CL_VLOAD_HALF, index64(idx), base);
            return;
        }
        int p = id();
        inst(code, OpInBoundsPtrAccessChain, ptr(SC_CROSS_WORKGROUP, elemType(e)), p, base, index64(idx));
        if (e == Elem.I8 || e == Elem.U8) {
            int narrow = id();
            inst(code, OpLoad, elemType(e), narrow, p);
            inst(code, e == Elem.I8 ? OpSConvert : OpUConvert, scalarType(Scalar.I32), d, narrow);
        } else {
            inst(code, OpLoad, elemType(e), d, p);
        }
    }

    private void store(Instr.Store s) {
        Buf b = s.buf();
        Elem e = s.elem();
        int idx = op(s.index()), v = op(s.value());
        if (b.space() != Space.GLOBAL && e == Elem.F16 && b.elem() != Elem.F16) {
            ext(id(), voidType(), CL_VSTORE_HALF_R, v, index64(idx), halfView(b), 0);
            return;
        }
        if (b.space() != Space.GLOBAL) {
            int p = id();
            inst(code, OpInBoundsAccessChain, ptr(storage(b), elemType(e)), p, arrays.get(b.id()), idx);
            inst(code, OpStore, p, v);
            return;
        }
        int base = basePointer(b, e);
        if (e == Elem.F16) {
            ext(id(), voidType(), CL_VSTORE_HALF_R, v, index64(idx), base, 0);
            return;
        }
        int p = id();
        inst(code, OpInBoundsPtrAccessChain, ptr(SC_CROSS_WORKGROUP, elemType(e)), p, base, index64(idx));
        if (e == Elem.I8 || e == Elem.U8) {
            int narrow = id();
            inst(code, OpUConvert, elemType(e), narrow, v);
            v = narrow;
        }
        inst(code, OpStore, p, v);
    }

    /** The buffer parameter as a pointer to {@code e} (a bitcast when the load reinterprets the bytes). */
    private int basePointer(Buf b, Elem e) {
        int base = bufParams.get(b.id());
        if (e == b.elem()) return base;
        int cast = id();
        inst(code, OpBitcast, ptr(SC_CROSS_WORKGROUP, elemType(e)), cast, base);
        return cast;
    }

    /** A private or local array's first element as a pointer to halves (vload_half/vstore_half_r on its bytes). */
    private int halfView(Buf b) {
        int first = id(), cast = id();
        inst(code, OpInBoundsAccessChain, ptr(storage(b), elemType(b.elem())), first, arrays.get(b.id()), constInt(0));
        inst(code, OpBitcast, ptr(storage(b), elemType(Elem.F16)), cast, first);
        return cast;
    }

    private static int storage(Buf b) { return b.space() == Space.LOCAL ? SC_WORKGROUP : SC_FUNCTION; }

    private int index64(int i32) {
        int r = id();
        inst(code, OpSConvert, i64(), r, i32);
        return r;
    }

    /** An operand: constants from the module, variables loaded where they are read. */
    private int op(Val v) {
        if (v.isConst()) {
            return switch (v.type()) {
                case F32 -> constant("f" + Float.floatToRawIntBits(v.constant().floatValue()), scalarType(Scalar.F32), Float.floatToRawIntBits(v.constant().floatValue()));
                case I32 -> constInt(v.constant().intValue());
                case BOOL -> {
                    boolean t = v.constant().intValue() != 0;
                    Integer c = constants.get("b" + t);
                    if (c == null) {
                        c = id();
                        inst(globals, t ? OpConstantTrue : OpConstantFalse, boolType(), c);
                        constants.put("b" + t, c);
                    }
                    yield c;
                }
            };
        }
        if (v.kind() == Val.Kind.VAR || v.kind() == Val.Kind.INDEX) {
            int r = id();
            inst(code, OpLoad, scalarType(v.type()), r, pointers.get(v.id()));
            return r;
        }
        Integer r = values.get(v.id());
        if (r == null) throw new IllegalStateException("SPIR-V: value " + v + " used before its definition");
        return r;
    }

    private int def(Val v) {
        int r = id();
        values.put(v.id(), r);
        return r;
    }

    private void ext(int result, int type, int instruction, int... operands) {
        List<Integer> ops = new ArrayList<>(List.of(type, result, extId, instruction));
        for (int o : operands) ops.add(o);
        inst(code, OpExtInst, ops);
    }

    // ---- types, constants, builtins ----

    private int builtinVar(BuiltinKind k) {
        return builtinVars.computeIfAbsent(k, kind -> {
            int v = id();
            inst(globals, OpVariable, ptr(SC_INPUT, v3i64()), v, SC_INPUT);
            inst(decorations, OpDecorate, v, DEC_BUILTIN, BUILTIN_IDS.get(kind));
            inst(decorations, OpDecorate, v, DEC_CONSTANT);
            name(v, "__spirv_BuiltIn" + kind.name());
            return v;
        });
    }

    private int voidType() { return type("void", OpTypeVoid); }

    private int boolType() { return type("bool", OpTypeBool); }

    private int i64() { return type("i64", OpTypeInt, 64, 0); }

    private int v3i64() { return type("v3i64", OpTypeVector, i64(), 3); }

    private int scalarType(Scalar s) {
        return switch (s) {
            case F32 -> type("f32", OpTypeFloat, 32);
            case I32 -> type("i32", OpTypeInt, 32, 0);
            case BOOL -> boolType();
        };
    }

    private int elemType(Elem e) {
        return switch (e) {
            case F32 -> scalarType(Scalar.F32);
            case I32 -> scalarType(Scalar.I32);
            case F16 -> type("f16", OpTypeFloat, 16);
            case I8, U8 -> type("i8", OpTypeInt, 8, 0);
        };
    }

    private int ptr(int storage, int pointee) { return type("ptr" + storage + ":" + pointee, OpTypePointer, storage, pointee); }

    private int type(String key, int opcode, int... operands) {
        List<Integer> ops = new ArrayList<>();
        for (int o : operands) ops.add(o);
        return type(key, opcode, ops);
    }

    private int type(String key, int opcode, List<Integer> operands) {
        Integer t = types.get(key);
        if (t != null) return t;
        int id = id();
        List<Integer> ops = new ArrayList<>(List.of(id));
        ops.addAll(operands);
        inst(globals, opcode, ops);
        types.put(key, id);
        return id;
    }

    private int constInt(int v) { return constant("i" + v, scalarType(Scalar.I32), v); }

    private int constant(String key, int type, int bits) {
        Integer c = constants.get(key);
        if (c != null) return c;
        int id = id();
        inst(globals, OpConstant, type, id, bits);
        constants.put(key, id);
        return id;
    }

    private void name(int target, String n) {
        List<Integer> ops = new ArrayList<>(List.of(target));
        ops.addAll(string(n));
        inst(names, OpName, ops);
    }

    private int id() { return nextId++; }

    private static void inst(List<Integer> out, int opcode, int... operands) {
        List<Integer> ops = new ArrayList<>();
        for (int o : operands) ops.add(o);
        inst(out, opcode, ops);
    }

    private static void inst(List<Integer> out, int opcode, List<Integer> operands) {
        out.add(((operands.size() + 1) << 16) | opcode);
        out.addAll(operands);
    }

    /** A literal string: UTF-8, nul-terminated, padded to whole words. */
    private static List<Integer> string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int words = b.length / 4 + 1;
        ByteBuffer bb = ByteBuffer.allocate(words * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(b);
        bb.rewind();
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < words; i++) r.add(bb.getInt());
        return r;
    }

}
