package ggufc.codegen.tornado.kir;

/**
 * A value in a kernel. {@link Kind#VALUE} is SSA (defined once by an instruction), {@link Kind#VAR}
 * a mutable variable (accumulators, declared by {@link Instr.DeclVar} and changed by
 * {@link Instr.Assign}), {@link Kind#INDEX} a loop counter, {@link Kind#PARAM} a scalar kernel
 * argument and {@link Kind#CONST} a literal (renderers inline it). Reading a VAR or INDEX gives its
 * current value. Names are unique within a kernel.
 */
public record Val(int id, Scalar type, Kind kind, String name, Number constant) implements KParam {
    public enum Kind { VALUE, VAR, INDEX, PARAM, CONST }

    public boolean isConst() { return kind == Kind.CONST; }

    @Override
    public String toString() { return isConst() ? constant.toString() : name; }
}
