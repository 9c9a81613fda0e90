package ggufc.passes.quant;

import ggufc.ir.Attrs;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TypeRules;
import ggufc.passes.GraphState;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.Stage;
import ggufc.passes.Target;
import ggufc.passes.rewrite.GraphRewriter;
import ggufc.passes.rewrite.Rewrite;
import ggufc.passes.rewrite.Rule;
import ggufc.passes.rewrite.RuleSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * quantize-activations: llama.cpp's CPU numerics. Each matmul rounds its f32 activation to the
 * type paired with its weight ({@code TypeRules.activationTypeFor}, llama.cpp's
 * {@code type_traits_cpu[...].vec_dot_type}): Q4_0, Q5_0, Q8_0 with Q8_0; Q4_1, Q5_1, Q8_1 with Q8_1;
 * K-quants with Q8_K; F16 with f16; BF16 with bf16. A {@code matmul}/{@code matmul_add} gets an
 * explicit {@code quantize} in front (one per activation and type, however many matmuls read it;
 * {@code matmul_id}'s x likewise, as llama.cpp rounds src1 of mul_mat_id to the experts' vec_dot_type);
 * fused ops whose activation is made inside them (norm_matmul, glu_matmul, norm_glu_matmul) get
 * {@code act_quant = true}, which rounds each weight's activation the same way inside the op.
 *
 * <p>Not exact, by design: this is the rounding llama.cpp does (per block of 32 or 256 values at
 * most about 0.56·max|x|/127 for the Q8 types, 2^-11 relative for f16). With it, our logits on
 * llama.cpp-quantized models agree with llama.cpp's to within float summation order.
 */
public final class QuantizeActivations implements Pass {
    @Override public String name() { return "quantize-activations"; }

    @Override public String summary() { return "round matmul activations to the weight's vec_dot_type (q8_0/q8_1/q8_k/f16/bf16) as llama.cpp's CPU backend"; }

    @Override public Set<Stage> establishes() { return Set.of(Stage.ACTIVATIONS_QUANTIZED); }

    @Override public boolean exact() { return false; }

    @Override
    public Optional<String> unsupportedBy(Target target) {
        return target.integerDot() ? Optional.empty() : Optional.of("target " + target.name() + " keeps f32 activations (it declares no integer dot products)");
    }

    @Override
    public Optional<String> notApplicable(GraphState state, Target target) {
        return Pass.unlessReached(state, Stage.QUANT_FOLDED, "run fold-quant-dequant first: activations are paired with the stored weight dtype, which a dequant hides")
                .or(() -> Pass.unlessNotReached(state, Stage.KERNELS_GROUPED, "quantize-activations rewrites nodes and would break kernel groups: run it before fuse-elementwise and fuse-horizontal"));
    }

    /** llama.cpp's vec_dot_type for a weight dtype on the CPU, or null when the dot product is in f32. */
    public static DType activationTypeFor(DType weight) { return TypeRules.activationTypeFor(weight); }

    public static final RuleSet RULES = RuleSet.of("quantize-activations",
            // matmul(x, w) -> matmul(quantize(x){to = vec_dot_type(w)}, w), likewise matmul_add
            Rule.of("quantize-matmul-input", "matmul(x, w) -> matmul(quantize(x){to = vec_dot_type(w)}, w) (also matmul_add and matmul_id)",
                    QuantizeActivations::quantizeInput),
            // norm_matmul(x, nw, w...) -> norm_matmul(x, nw, w...){act_quant}, likewise glu_matmul, norm_glu_matmul
            Rule.of("quantize-inside-fused", "norm_matmul/glu_matmul/norm_glu_matmul(...) -> same op {act_quant = true}",
                    QuantizeActivations::markFused));

    @Override
    public Graph run(Graph g, PassContext cx) { return GraphRewriter.apply(g, RULES, cx); }

    /** The paired type when activations of {@code k} elements per row can be rounded for weight {@code w}. */
    private static DType pairing(Dim k, Node w) {
        DType to = TypeRules.activationTypeFor(w.dtype());
        if (to == null || k.isSymbolic() || k.size() % to.blockSize() != 0) return null;
        return to;
    }

    private static Node quantizeInput(Node root, Rewrite rw) {
        if (root.op() != OpKind.MATMUL && root.op() != OpKind.MATMUL_ADD && root.op() != OpKind.MATMUL_ID) return null;
        Node x = root.input(0), w = root.input(1);
        DType to = pairing(x.shape().last(), w);
        if (x.dtype() != DType.F32 || to == null) return null;
        Node q = rw.memo(List.of("quantize", x, to), () -> rw.add(OpKind.QUANTIZE, Attrs.of("to", to.irName()), rw.get(x)));
        List<Node> in = new ArrayList<>();
        in.add(q);
        for (int i = 1; i < root.inputs().size(); i++) in.add(rw.get(root.input(i)));
        return rw.builder().add(root.op(), in, root.attrs(), root.type());
    }

    private static Node markFused(Node root, Rewrite rw) {
        if (root.op() != OpKind.NORM_MATMUL && root.op() != OpKind.GLU_MATMUL && root.op() != OpKind.NORM_GLU_MATMUL) return null;
        if (root.attrs().has(TypeRules.ACT_QUANT)) return null;
        Dim k = root.input(0).shape().last();
        boolean any = false;
        for (int i : FoldQuantDequant.weightOperands(root)) {
            Node w = root.input(i);
            if (TypeRules.activationTypeFor(w.dtype()) == null) continue;
            if (pairing(k, w) == null) return null; // rows that are no whole blocks of the paired type: leave f32
            any = true;
        }
        return any ? rw.copy(root, root.attrs().with(TypeRules.ACT_QUANT, true)) : null;
    }
}
