package ggufc.passes.fusion;

import ggufc.ir.Graph;
import ggufc.ir.OpKind;
import ggufc.passes.GraphState;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.Stage;
import ggufc.passes.Target;
import ggufc.passes.rewrite.GraphRewriter;
import ggufc.passes.rewrite.RuleSet;
import java.util.Optional;

/** A fusion written as a rule set producing one fused op the target must implement. */
abstract class FusionPass implements Pass {
    private final String name;
    private final String summary;
    private final OpKind produces;

    FusionPass(String name, String summary, OpKind produces) {
        this.name = name;
        this.summary = summary;
        this.produces = produces;
    }

    abstract RuleSet rules(Target target);

    @Override public final String name() { return name; }

    @Override public final String summary() { return summary; }

    @Override
    public Optional<String> unsupportedBy(Target target) { return target.require(produces); }

    @Override
    public Optional<String> notApplicable(GraphState state, Target target) {
        return Pass.unlessNotReached(state, Stage.KERNELS_GROUPED, name + " rewrites nodes and would break kernel groups: run it before fuse-elementwise and fuse-horizontal")
                .or(() -> Pass.unlessNotReached(state, Stage.ACTIVATIONS_QUANTIZED, name + " matches f32 activations: run it before quantize-activations"));
    }

    @Override
    public Graph run(Graph g, PassContext cx) { return GraphRewriter.apply(g, rules(cx.target()), cx); }
}
