package ggufc.passes.cleanup;

import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * dce: drops nodes that no output depends on. Inputs and states stay even when unused: they are
 * the step's interface (the runtime passes tokens and positions, and owns the caches).
 */
public final class Dce implements Pass {
    @Override public String name() { return "dce"; }

    @Override public String summary() { return "remove nodes no output depends on (inputs and states stay: they are the interface)"; }

    @Override
    public Graph run(Graph g, PassContext cx) {
        Graph r = removeDead(g);
        if (r != g) cx.count("removed", g.nodes().size() - r.nodes().size());
        return r;
    }

    /** The nodes some output depends on, and the inputs and states (identity set). */
    public static Set<Node> liveNodes(Graph g) {
        Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Node> stack = new ArrayList<>(g.outputs().values());
        for (Node n : g.nodes()) if (n.op() == OpKind.INPUT || n.op() == OpKind.STATE) stack.add(n);
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            if (live.add(n)) stack.addAll(n.inputs());
        }
        return live;
    }

    /** {@code g} without dead nodes; {@code g} itself when none is dead. */
    public static Graph removeDead(Graph g) {
        Set<Node> live = liveNodes(g);
        if (live.size() == g.nodes().size()) return g;
        List<Node> kept = new ArrayList<>(live.size());
        for (Node n : g.nodes()) if (live.contains(n)) kept.add(n);
        return new Graph(g.name(), kept, g.outputs());
    }
}
