package ggufc.passes.cleanup;

import ggufc.ir.Attrs;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TensorData;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
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
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * fold-constants: computes at compile time what does not depend on the step. An op whose operands
 * are all constants becomes a constant (evaluated by the reference interpreter, so the value is the
 * one the step would compute); with weights at hand, a dequant of a small weight (a half or
 * quantized norm vector, say) becomes a constant too, so no kernel decodes it every step.
 */
public final class FoldConstants implements Pass {
    /** Larger results stay computed: constants live in the IR text and in generated code. */
    public static final int MAX_ELEMENTS = 4096;
    /** Weights dequantized at compile time: small vectors (norm weights, say), never matrices a kernel reads in place. */
    public static final int MAX_DEQUANT_ELEMENTS = 1024;

    @Override public String name() { return "fold-constants"; }

    @Override public String summary() { return "evaluate ops on constants, and dequantize small weights at compile time (with weights)"; }

    @Override
    public Optional<String> notApplicable(GraphState state, Target target) {
        return Pass.unlessNotReached(state, Stage.KERNELS_GROUPED, "fold-constants rewrites nodes and would break kernel groups: run it before fuse-elementwise and fuse-horizontal");
    }

    public static RuleSet rules(Function<String, TensorData> weights) { return rules(weights, Set.of()); }

    /** The rules, where {@code dead} holds nodes no output depends on: their uses of a weight do not count. */
    static RuleSet rules(Function<String, TensorData> weights, Set<Node> dead) {
        return RuleSet.of("fold-constants",
                // op(constants...) -> constant(value)
                Rule.of("evaluate", "op(c1, ..., cn) -> constant when every operand is a constant and the result is small f32/i32",
                        FoldConstants::evaluate),
                // dequant(param p) -> constant(decode(p))
                Rule.of("dequant-small-weight", "dequant(param w) -> constant(decoded w) when w is small and no matmul or embedding reads it (weights at hand)",
                        (root, rw) -> dequantSmallWeight(root, rw, weights, dead)));
    }

    @Override
    public Graph run(Graph g, PassContext cx) {
        // canonicalize's rules run in the same sweeps: a folded constant can complete one of their
        // patterns (mul by a scalar constant is a scale), and the graph should leave this pass canonical.
        // A folded value can equal a constant already there (gelu(4) is 4 at f16 precision), and two
        // users of equal constants then compute the same: merge them here, so the cleanup pipeline
        // leaves a graph that another round of it does not change. A weight read by a dead matmul (dce
        // drops it later) is still folded, so one cleanup round does what two would.
        for (int round = 0; round < 8; round++) {
            Set<Node> dead = Collections.newSetFromMap(new IdentityHashMap<>());
            Set<Node> live = Dce.liveNodes(g);
            for (Node n : g.nodes()) if (!live.contains(n)) dead.add(n);
            List<Rule> all = new ArrayList<>(rules(cx.weights(), dead).rules());
            all.addAll(Canonicalize.RULES.rules());
            Graph folded = GraphRewriter.apply(g, all, cx);
            if (folded == g) return g;
            Graph merged = new Cse().run(folded, cx);
            if (merged == folded) return folded;
            g = merged;
        }
        return g;
    }

    private static boolean foldableResult(Node n) {
        long e = n.shape().staticElements();
        return e >= 0 && e <= MAX_ELEMENTS && (n.dtype() == DType.F32 || n.dtype() == DType.I32);
    }

    private static Node evaluate(Node root, Rewrite rw) {
        if (root.op() == OpKind.CONSTANT || root.inputs().isEmpty() || !foldableResult(root)) return null;
        for (Node in : root.inputs()) if (in.op() != OpKind.CONSTANT) return null;
        GraphBuilder mb = new GraphBuilder("fold");
        Map<Node, Node> consts = new IdentityHashMap<>();
        List<Node> ins = new ArrayList<>();
        for (Node in : root.inputs()) ins.add(consts.computeIfAbsent(in, c -> mb.constant(c.type(), c.attrs().reals("values"))));
        mb.output("v", mb.add(root.op(), ins, root.attrs(), root.type()));
        Value v = new Interpreter(mb.build(), name -> null, false).run(Map.of(), Map.of()).get("v");
        return rw.builder().add(OpKind.CONSTANT, List.of(), Attrs.of("values", values(v)), root.type());
    }

    private static Node dequantSmallWeight(Node root, Rewrite rw, Function<String, TensorData> weights, Set<Node> dead) {
        if (weights == null || root.op() != OpKind.DEQUANT || root.input(0).op() != OpKind.PARAM || !foldableResult(root)
                || root.shape().staticElements() > MAX_DEQUANT_ELEMENTS) return null;
        // a matmul or embedding reads its weight's blocks in place (fold-quant-dequant): an f32 constant would only add traffic
        for (Node u : rw.users(root)) {
            if (dead.contains(u)) continue;
            if (u.op() == OpKind.EMBED && u.input(0) == root) return null;
            for (int i : ggufc.passes.quant.FoldQuantDequant.weightOperands(u)) if (u.input(i) == root) return null;
        }
        Node p = root.input(0);
        TensorData d = weights.apply(p.name());
        if (d == null || d.dtype() != p.dtype() || !Arrays.equals(d.shape(), p.shape().resolve(Map.of()))) return null;
        float[] f = Interpreter.toF32(Value.ofRaw(d));
        List<Double> vals = new ArrayList<>(f.length);
        for (float x : f) vals.add((double) x);
        return rw.builder().add(OpKind.CONSTANT, List.of(), Attrs.of("values", vals), root.type());
    }

    private static List<Double> values(Value v) {
        List<Double> r = new ArrayList<>();
        if (v.i32() != null) for (int x : v.i32()) r.add((double) x);
        else for (float x : Interpreter.toF32(v)) r.add((double) x);
        return r;
    }
}
