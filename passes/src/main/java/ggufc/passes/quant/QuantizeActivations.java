package ggufc.passes.quant;

import ggufc.ir.Attrs;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
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
 * quantize-activations: for targets whose quantized matmuls are integer dot products, the f32
 * activation of a {@code matmul}/{@code matmul_add} on stored blocks is quantized first, paired with
 * the weight as llama.cpp's CPU backend pairs them ({@code type_traits_cpu[...].vec_dot_type}):
 * Q4_0, Q5_0, Q8_0 with Q8_0; Q4_1, Q5_1, Q8_1 with Q8_1; K-quants with Q8_K. Each activation is quantized
 * once however many matmuls read it. Fused norm/glu ops keep f32 inputs (their norm or activation
 * runs first inside the kernel, which quantizes its own rows).
 *
 * <p>Not exact: per block of 32 (or 256) values the error is at most about 0.56·max|x|/127 (half a
 * quantization step plus the f16 rounding of the scale; Q8_K keeps an f32 scale), the error
 * llama.cpp's CPU backend has too.
 */
public final class QuantizeActivations implements Pass {
    @Override public String name() { return "quantize-activations"; }

    @Override public String summary() { return "quantize matmul activations to Q8_0/Q8_1/Q8_K as llama.cpp pairs them (integer-dot targets)"; }

    @Override public Set<Stage> establishes() { return Set.of(Stage.ACTIVATIONS_QUANTIZED); }

    @Override public boolean exact() { return false; }

    @Override
    public Optional<String> unsupportedBy(Target target) {
        return target.integerDot() ? Optional.empty() : Optional.of("target " + target.name() + " has no integer dot products (its matmuls take f32 activations)");
    }

    @Override
    public Optional<String> notApplicable(GraphState state, Target target) {
        return Pass.unlessReached(state, Stage.QUANT_FOLDED, "run fold-quant-dequant first: activations are paired with the stored weight dtype, which a dequant hides")
                .or(() -> Pass.unlessNotReached(state, Stage.KERNELS_GROUPED, "quantize-activations rewrites nodes and would break kernel groups: run it before fuse-elementwise and fuse-horizontal"));
    }

    /** llama.cpp's vec_dot_type for a weight dtype on the CPU, or null when the dot product is in floats. */
    public static DType activationTypeFor(DType weight) {
        return switch (weight) {
            case Q4_0, Q5_0, Q8_0 -> DType.Q8_0;
            case Q4_1, Q5_1, Q8_1 -> DType.Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> DType.Q8_K;
            default -> null;
        };
    }

    public static final RuleSet RULES = RuleSet.of("quantize-activations",
            // matmul(x, w: q4_0) -> matmul(quantize(x){q8_0}, w), likewise matmul_add
            Rule.of("quantize-matmul-input", "matmul(x, w) -> matmul(quantize(x){to = vec_dot_type(w)}, w) (also matmul_add)",
                    QuantizeActivations::quantizeInput));

    @Override
    public Graph run(Graph g, PassContext cx) { return GraphRewriter.apply(g, RULES, cx); }

    private static Node quantizeInput(Node root, Rewrite rw) {
        if (root.op() != OpKind.MATMUL && root.op() != OpKind.MATMUL_ADD) return null;
        Node x = root.input(0), w = root.input(1);
        DType to = activationTypeFor(w.dtype());
        if (x.dtype() != DType.F32 || to == null) return null;
        Dim k = x.shape().last();
        if (k.isSymbolic() || k.size() % to.blockSize() != 0) return null;
        Node q = rw.memo(List.of("quantize", x, to), () -> rw.add(OpKind.QUANTIZE, Attrs.of("to", to.irName()), rw.get(x)));
        List<Node> in = new ArrayList<>();
        in.add(q);
        for (int i = 1; i < root.inputs().size(); i++) in.add(rw.get(root.input(i)));
        return rw.builder().add(root.op(), in, root.attrs(), root.type());
    }
}
