package ggufc.passes.rewrite;

import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.passes.PassContext;
import ggufc.passes.cleanup.Dce;
import java.util.List;
import java.util.Map;

/**
 * Applies a rule set until nothing changes. Each sweep rebuilds the graph: every node of the source
 * is offered to the rules (first match wins) or copied, outputs are re-pointed, dead nodes dropped.
 * Rules never mutate; a sweep that fires no rule returns the input graph itself.
 */
public final class GraphRewriter {
    /** Sweeps before giving up: rule sets whose rewrites keep enabling each other are a bug. */
    static final int MAX_SWEEPS = 32;

    private GraphRewriter() {}

    public static Graph apply(Graph g, RuleSet rules, PassContext cx) { return apply(g, rules.rules(), cx); }

    public static Graph apply(Graph g, List<Rule> rules, PassContext cx) {
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            Rewrite rw = new Rewrite(g, rules);
            for (Node n : g.nodes()) rw.get(n);
            if (rw.fired().isEmpty()) return g;
            for (Map.Entry<String, Integer> e : rw.fired().entrySet()) {
                if (cx != null) cx.count(e.getKey(), e.getValue());
            }
            g = finish(rw);
        }
        throw new IllegalStateException("rewrites did not reach a fixed point in " + MAX_SWEEPS + " sweeps (rules: "
                + rules.stream().map(Rule::name).toList() + ")");
    }

    private static Graph finish(Rewrite rw) {
        GraphBuilder b = rw.builder();
        for (Map.Entry<String, Node> e : rw.source().outputs().entrySet()) b.output(e.getKey(), rw.get(e.getValue()));
        return Dce.removeDead(b.build());
    }
}
