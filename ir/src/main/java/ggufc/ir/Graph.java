package ggufc.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A dataflow graph: nodes in topological order and named outputs (several, e.g. logits, the
 * hidden state an MTP head reads, and updated states). An output whose name equals a
 * {@link OpKind#STATE} leaf's name writes that state back after the step.
 */
public final class Graph {
    private final String name;
    private final List<Node> nodes;
    private final Map<String, Node> outputs;

    public Graph(String name, List<Node> nodes, Map<String, Node> outputs) {
        this.name = Objects.requireNonNull(name);
        this.nodes = List.copyOf(nodes);
        this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    public String name() { return name; }
    public List<Node> nodes() { return nodes; }
    public Map<String, Node> outputs() { return outputs; }
    public Node output(String n) { return outputs.get(n); }

    public List<Node> leaves(OpKind kind) {
        List<Node> r = new ArrayList<>();
        for (Node n : nodes) if (n.op() == kind) r.add(n);
        return r;
    }

    public List<Node> inputs() { return leaves(OpKind.INPUT); }
    public List<Node> params() { return leaves(OpKind.PARAM); }
    public List<Node> states() { return leaves(OpKind.STATE); }

    /** Symbols used in any dimension, in order of first appearance. */
    public List<String> symbols() {
        List<String> r = new ArrayList<>();
        for (Node n : nodes) {
            for (Dim d : n.shape().dims()) if (d.isSymbolic() && !r.contains(d.symbol())) r.add(d.symbol());
        }
        return r;
    }

    /** Number of users of every node (graph outputs count as users). */
    public Map<Node, Integer> useCounts() {
        Map<Node, Integer> uses = new IdentityHashMap<>();
        for (Node n : nodes) for (Node in : n.inputs()) uses.merge(in, 1, Integer::sum);
        for (Node o : outputs.values()) uses.merge(o, 1, Integer::sum);
        return uses;
    }

    /** Same ops, attributes, types, operand positions and outputs, node for node. */
    public boolean structurallyEquals(Graph other) {
        if (!name.equals(other.name) || nodes.size() != other.nodes.size() || outputs.size() != other.outputs.size()) return false;
        Map<Node, Integer> index = indexOf(), otherIndex = other.indexOf();
        for (int i = 0; i < nodes.size(); i++) {
            Node a = nodes.get(i), b = other.nodes.get(i);
            if (a.op() != b.op() || !a.type().equals(b.type()) || !a.attrs().equals(b.attrs()) || a.inputs().size() != b.inputs().size()) return false;
            for (int j = 0; j < a.inputs().size(); j++) {
                if (!index.get(a.input(j)).equals(otherIndex.get(b.input(j)))) return false;
            }
        }
        var ia = outputs.entrySet().iterator();
        var ib = other.outputs.entrySet().iterator();
        while (ia.hasNext()) {
            var ea = ia.next();
            var eb = ib.next();
            if (!ea.getKey().equals(eb.getKey()) || !index.get(ea.getValue()).equals(otherIndex.get(eb.getValue()))) return false;
        }
        return true;
    }

    /** Position of every node in {@link #nodes()}. */
    public Map<Node, Integer> indexOf() {
        Map<Node, Integer> m = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) m.put(nodes.get(i), i);
        return m;
    }

    @Override
    public String toString() { return "graph @" + name + " (" + nodes.size() + " nodes, outputs " + outputs.keySet() + ")"; }
}
