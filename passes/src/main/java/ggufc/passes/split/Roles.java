package ggufc.passes.split;

import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Slices;
import java.util.regex.Pattern;

/**
 * What a matmul weight is for, from its GGUF name (llama.cpp's meta backend assigns split states by the same
 * patterns): attention projections, FFN projections (dense and experts) and the output head.
 */
enum Roles {
    /** attn_q, attn_k, attn_v or a part of attn_qkv: cut by output rows (heads). */
    ATTN_IN,
    /** attn_output: cut by input columns (heads); the result is partial. */
    ATTN_OUT,
    /** ffn_gate, ffn_up (dense or _exps, or a part of a fused one): cut by output rows. */
    FFN_IN,
    /** ffn_down(_exps): cut by input columns; the result is partial. */
    FFN_OUT,
    /** the output head (output.weight, or token_embd.weight read by a matmul: tied): cut by vocabulary rows. */
    OUTPUT,
    /** everything else stays whole. */
    OTHER;

    private static final Pattern ATTN_IN_P = Pattern.compile("blk\\.\\d+\\.attn_(q|k|v|qkv)\\.weight");
    private static final Pattern ATTN_OUT_P = Pattern.compile("blk\\.\\d+\\.attn_output\\.weight");
    private static final Pattern FFN_IN_P = Pattern.compile("blk\\.\\d+\\.ffn_(gate|up|gate_up)(_exps)?\\.weight");
    private static final Pattern FFN_OUT_P = Pattern.compile("blk\\.\\d+\\.ffn_down(_exps)?\\.weight");

    /** The file tensor behind a (possibly sliced) weight name. */
    static String base(String name) {
        Slices.Slice s;
        while ((s = Slices.parse(name)) != null) name = s.base();
        return name;
    }

    static Roles of(Node op, String weight) {
        String name = base(weight);
        if (ATTN_IN_P.matcher(name).matches()) return ATTN_IN;
        if (ATTN_OUT_P.matcher(name).matches()) return ATTN_OUT;
        if (FFN_IN_P.matcher(name).matches()) return FFN_IN;
        if (FFN_OUT_P.matcher(name).matches()) return FFN_OUT;
        if (name.equals("output.weight") || (name.equals("token_embd.weight") && op.op() == OpKind.MATMUL)) return OUTPUT;
        return OTHER;
    }

    /** Rows of a weight operand (its second-to-last axis) and columns (its last). */
    static long rows(Node op) { Node w = op.input(1); return w.shape().dim(w.shape().rank() - 2).size(); }

    static long cols(Node op) { Node w = op.input(1); return w.shape().last().size(); }
}
