package ggufc.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Graph-level checks: operands defined before use, every node well typed under {@link TypeRules},
 * unique leaf names, outputs present, state write-backs typed like their state. Collects every
 * problem before failing so one run shows them all.
 */
public final class Verifier {
    private Verifier() {}

    public static void verify(Graph g) {
        List<String> problems = check(g);
        if (!problems.isEmpty()) throw new IrException(problems);
    }

    /** All problems of {@code g}; empty when it is valid. Nodes are named by their index ({@code %i}). */
    public static List<String> check(Graph g) {
        List<String> problems = new ArrayList<>();
        Map<Node, Integer> index = new IdentityHashMap<>();
        Map<String, Integer> leafNames = new HashMap<>();
        Map<String, Node> states = new HashMap<>();
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            String where = "%" + i + " = " + n.op().irName();
            if (index.containsKey(n)) {
                problems.add(where + ": the same node appears twice in the node list");
                continue;
            }
            boolean operandsOk = true;
            for (Node in : n.inputs()) {
                if (!index.containsKey(in)) {
                    problems.add(where + ": operand " + in + " is not defined before its use");
                    operandsOk = false;
                }
            }
            index.put(n, i);
            if (!operandsOk) continue;
            try {
                TensorType t = TypeRules.infer(n.op(), n.inputs().stream().map(Node::type).toList(), n.attrs(), n.type());
                if (!t.equals(n.type())) problems.add(where + ": has type " + n.type() + " but its operands give " + t);
            } catch (TypeRules.TypeError | IllegalArgumentException e) {
                problems.add(where + ": " + e.getMessage());
            }
            if (n.op() == OpKind.INPUT || n.op() == OpKind.PARAM || n.op() == OpKind.STATE) {
                if (n.attrs().get("name") instanceof String name) {
                    Integer prev = leafNames.put(n.op().irName() + ":" + name, i);
                    if (prev != null) problems.add(where + ": " + n.op().irName() + " \"" + name + "\" is already declared by %" + prev);
                    if (n.op() == OpKind.STATE) states.put(name, n);
                }
            }
        }
        if (g.outputs().isEmpty()) problems.add("graph @" + g.name() + " has no outputs");
        for (Map.Entry<String, Node> e : g.outputs().entrySet()) {
            Integer i = index.get(e.getValue());
            if (i == null) {
                problems.add("output \"" + e.getKey() + "\" is not a node of the graph");
                continue;
            }
            Node state = states.get(e.getKey());
            if (state != null && !state.type().equals(e.getValue().type())) {
                problems.add("output \"" + e.getKey() + "\" writes state %" + index.get(state) + " of type " + state.type() + " with %" + i + " of type " + e.getValue().type());
            }
        }
        return problems;
    }
}
