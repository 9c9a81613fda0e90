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

    public static void verify(GraphModule m) {
        List<String> problems = check(m);
        if (!problems.isEmpty()) throw new IrException(problems);
    }

    /**
     * All problems of {@code m}: each graph's own (prefixed by its name), graph names unique, a state shared by name
     * of one type in every graph that declares it (it is one buffer), and an input named like another graph's
     * (non-state) output of the same element type and row width (it is fed from there; row counts may differ).
     */
    public static List<String> check(GraphModule m) {
        List<String> problems = new ArrayList<>();
        Map<String, Graph> byName = new HashMap<>();
        for (Graph g : m.graphs()) {
            if (byName.put(g.name(), g) != null) problems.add("module @" + m.name() + ": two graphs are named @" + g.name());
            for (String p : check(g)) problems.add("graph @" + g.name() + ": " + p);
        }
        Map<String, Node> firstState = new HashMap<>();
        Map<String, Graph> stateOwner = new HashMap<>();
        Map<String, Node> outputs = new HashMap<>();
        Map<String, Graph> outputOwner = new HashMap<>();
        for (Graph g : m.graphs()) {
            java.util.Set<String> stateNames = new java.util.HashSet<>();
            for (Node s : g.states()) {
                String name = s.attrs().string("name");
                stateNames.add(name);
                Node prev = firstState.putIfAbsent(name, s);
                if (prev == null) stateOwner.put(name, g);
                else if (!prev.type().equals(s.type())) {
                    problems.add("state \"" + name + "\" is " + prev.type() + " in @" + stateOwner.get(name).name() + " but " + s.type() + " in @" + g.name()
                            + " (a state shared by name is one buffer)");
                }
            }
            for (Map.Entry<String, Node> e : g.outputs().entrySet()) {
                if (!stateNames.contains(e.getKey()) && outputs.putIfAbsent(e.getKey(), e.getValue()) == null) outputOwner.put(e.getKey(), g);
            }
        }
        for (Graph g : m.graphs()) {
            for (Node in : g.inputs()) {
                String name = in.attrs().string("name");
                Node out = outputs.get(name);
                if (out == null || outputOwner.get(name) == g) continue;
                Dim a = lastDim(in.type()), b = lastDim(out.type());
                if (in.dtype() != out.dtype() || (a != null && b != null && !a.isSymbolic() && !b.isSymbolic() && !a.equals(b))) {
                    problems.add("input \"" + name + "\" of @" + g.name() + " is " + in.type() + " but @" + outputOwner.get(name).name() + "'s output \"" + name + "\" that feeds it is "
                            + out.type() + " (same element type and row width)");
                }
            }
        }
        return problems;
    }

    private static Dim lastDim(TensorType t) { return t.rank() == 0 ? null : t.shape().dim(-1); }

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
                    // a placed graph may declare one weight or input on several devices (each its own copy); a state only once
                    String key = n.op().irName() + ":" + name + (n.op() == OpKind.STATE ? "" : "@" + Placement.device(n));
                    Integer prev = leafNames.put(key, i);
                    if (prev != null) problems.add(where + ": " + n.op().irName() + " \"" + name + "\" is already declared by %" + prev);
                    if (n.op() == OpKind.STATE) states.put(name, n);
                }
            }
        }
        if (Placement.isPlaced(g)) checkPlacement(g, index, problems);
        if (g.outputs().isEmpty()) problems.add("graph @" + g.name() + " has no outputs");
        for (Map.Entry<String, Node> e : g.outputs().entrySet()) {
            Integer i = index.get(e.getValue());
            if (i == null) {
                problems.add("output \"" + e.getKey() + "\" is not a node of the graph");
                continue;
            }
            if (Placement.isPartial(e.getValue())) problems.add("output \"" + e.getKey() + "\" is a partial sum (%" + i + "): all_reduce it first");
            Node state = states.get(e.getKey());
            if (state != null && !state.type().equals(e.getValue().type())) {
                problems.add("output \"" + e.getKey() + "\" writes state %" + index.get(state) + " of type " + state.type() + " with %" + i + " of type " + e.getValue().type());
            }
        }
        return problems;
    }

    /**
     * A placed graph: every node on a device; an op reads values of its own device, except the collectives
     * ({@code transfer} from another device, {@code all_reduce}/{@code all_gather} one operand per device); a partial
     * sum reaches only {@code all_reduce} or ops linear in it whose result is partial too.
     */
    private static void checkPlacement(Graph g, Map<Node, Integer> index, List<String> problems) {
        for (Node n : g.nodes()) {
            String where = "%" + index.get(n) + " = " + n.op().irName();
            Object d = n.attrs().get(Placement.DEVICE);
            // a constant a pass folded is placed by the pass manager next to its first user (Placement.inherit)
            if (d == null && n.op() == OpKind.CONSTANT) continue;
            if (!(d instanceof Long l) || l < 0) {
                problems.add(where + ": " + (d == null ? "has no device (in a placed graph every node has one)" : "device must be an integer >= 0, got " + d));
                continue;
            }
            int dev = Placement.device(n);
            switch (n.op()) {
                case TRANSFER -> {
                    if (Placement.device(n.input(0)) == dev) problems.add(where + ": transfers %" + index.get(n.input(0)) + " to device " + dev + ", where it already is");
                }
                case ALL_REDUCE, ALL_GATHER -> {
                    java.util.Set<Integer> seen = new java.util.HashSet<>();
                    for (Node in : n.inputs()) {
                        if (!seen.add(Placement.device(in))) problems.add(where + ": two operands on device " + Placement.device(in) + " (one per device)");
                    }
                    if (n.op() == OpKind.ALL_REDUCE) {
                        for (Node in : n.inputs()) {
                            if (!Placement.isPartial(in)) problems.add(where + ": operand %" + index.get(in) + " is not a partial sum (split = \"partial\")");
                        }
                    }
                }
                default -> {
                    for (Node in : n.inputs()) {
                        int from = Placement.device(in);
                        if (from >= 0 && from != dev) {
                            problems.add(where + " on device " + dev + ": reads %" + index.get(in) + " of device " + from + " (values cross devices only through transfer, all_reduce or all_gather)");
                        }
                    }
                }
            }
            for (int i = 0; i < n.inputs().size(); i++) {
                Node in = n.input(i);
                if (!Placement.isPartial(in) || n.op() == OpKind.ALL_REDUCE) continue;
                if (!Placement.linearIn(n, i)) {
                    problems.add(where + ": uses the partial sum %" + index.get(in) + " in a non-linear op (all_reduce it first)");
                } else if (!Placement.isPartial(n)) {
                    problems.add(where + ": reads the partial sum %" + index.get(in) + " but is not marked partial itself (all_reduce it first)");
                } else if (n.op() == OpKind.ADD && !Placement.isPartial(n.input(1 - i))) {
                    problems.add(where + ": adds the partial sum %" + index.get(in) + " to a whole value (it would be counted once per device)");
                }
            }
        }
    }
}
