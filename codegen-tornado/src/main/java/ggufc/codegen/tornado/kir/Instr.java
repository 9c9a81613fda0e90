package ggufc.codegen.tornado.kir;

import java.util.List;

/**
 * The closed list of kernel IR instructions. Control flow is structured ({@link Loop}, {@link If}
 * hold their bodies), which every target can express: C-style languages directly, PTX with labels
 * and branches, SPIR-V with blocks (Kernel flavour needs no merge declarations, and variables live
 * in Function storage, so no phi nodes are needed).
 */
public sealed interface Instr {
    /** dst = work-item builtin {@code kind} in dimension {@code dim} (i32). */
    record Builtin(Val dst, BuiltinKind kind, int dim) implements Instr {}

    /** dst = op(a). */
    record Unary(Val dst, UnOp op, Val a) implements Instr {}

    /** dst = a op b. */
    record Binary(Val dst, BinOp op, Val a, Val b) implements Instr {}

    /** dst = a * b + c, fused. */
    record Fma(Val dst, Val a, Val b, Val c) implements Instr {}

    /** dst = cond ? a : b. */
    record Select(Val dst, Val cond, Val a, Val b) implements Instr {}

    /** dst = buf[index] read as {@code elem} (index in units of elem; elem may reinterpret a global buffer's bytes). */
    record Load(Val dst, Buf buf, Val index, Elem elem) implements Instr {}

    /** dst[0..3] = four consecutive f32 at buf[4 * index] (an aligned vector load). */
    record LoadVec4(List<Val> dst, Buf buf, Val index) implements Instr {
        public LoadVec4 { dst = List.copyOf(dst); }
    }

    /** buf[index] = value, narrowed to {@code elem} (index in units of elem; elem may reinterpret a global buffer's bytes). */
    record Store(Buf buf, Val index, Val value, Elem elem) implements Instr {}

    /** A mutable variable with its initial value. */
    record DeclVar(Val var, Val init) implements Instr {}

    record Assign(Val var, Val value) implements Instr {}

    /** A local or private array. */
    record DeclArray(Buf array) implements Instr {}

    /** for (index = start; index < end; index += step) body; step > 0. */
    record Loop(Val index, Val start, Val end, Val step, List<Instr> body) implements Instr {
        public Loop { body = List.copyOf(body); }
    }

    record If(Val cond, List<Instr> then, List<Instr> otherwise) implements Instr {
        public If {
            then = List.copyOf(then);
            otherwise = List.copyOf(otherwise);
        }
    }

    /** Work-group barrier with a local-memory fence; every work-item of the group must reach it. */
    record Barrier() implements Instr {}

    /** A remark carried into the generated source. */
    record Comment(String text) implements Instr {}

    enum BuiltinKind { GLOBAL_ID, LOCAL_ID, GROUP_ID, LOCAL_SIZE, NUM_GROUPS }

    /** Unary ops; CVT converts between i32 and f32 (f32 to i32 truncates toward zero); ROUND is C's roundf (halves away from zero). */
    enum UnOp { NEG, EXP, SQRT, TANH, SIN, COS, NOT, CVT, ROUND, ABS }

    /** Binary ops; comparisons give BOOL; AND/OR/XOR work on I32 or BOOL; SHR is arithmetic. */
    enum BinOp {
        ADD, SUB, MUL, DIV, REM, MAX, MIN, AND, OR, XOR, SHL, SHR, LT, LE, EQ, NE;

        public boolean isComparison() { return this == LT || this == LE || this == EQ || this == NE; }
    }
}
