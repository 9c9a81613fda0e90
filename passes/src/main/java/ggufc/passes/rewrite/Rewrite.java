package ggufc.passes.rewrite;

import ggufc.ir.Attrs;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.IrException;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One sweep of a rewrite: rules look at the source graph (complete, with exact use counts) and build
 * their replacements into a new graph. {@link #get} gives the new node for a source node, building
 * it on first use (trying the rules, else copying it), so a rule may pull operands that come later
 * in the source order (the weights of sibling matmuls, say) and the result is still topological.
 */
public final class Rewrite {
    private final Graph source;
    private final List<Rule> rules;
    private final GraphBuilder b;
    private final Map<Node, Node> map = new IdentityHashMap<>();
    private final Set<Node> building = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Node, Integer> uses;
    private final Map<Node, List<Node>> users = new IdentityHashMap<>();
    private final Set<Node> outputs = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Object, Node> memo = new HashMap<>();
    private final Map<String, Integer> fired = new LinkedHashMap<>();

    Rewrite(Graph source, List<Rule> rules) {
        this.source = source;
        this.rules = rules;
        this.b = new GraphBuilder(source.name());
        this.uses = source.useCounts();
        for (Node n : source.nodes()) {
            for (Node in : n.inputs()) {
                List<Node> us = users.computeIfAbsent(in, k -> new ArrayList<>());
                if (us.isEmpty() || us.getLast() != n) us.add(n);
            }
        }
        outputs.addAll(source.outputs().values());
    }

    public Graph source() { return source; }

    public GraphBuilder builder() { return b; }

    /** The new node standing for source node {@code old} (built now if needed). */
    public Node get(Node old) {
        Node done = map.get(old);
        if (done != null) return done;
        if (!building.add(old)) throw new IllegalStateException("rewrite cycle through " + old + ": a rule used an operand that depends on its own root");
        try {
            Node r = null;
            if (!old.op().isLeaf()) {
                for (Rule rule : rules) {
                    try {
                        r = rule.body().apply(old, this);
                    } catch (IrException e) {
                        throw new IllegalStateException("rule " + rule.name() + " built an ill-typed node at " + old + ": " + e.getMessage(), e);
                    }
                    if (r != null) {
                        if (!r.type().equals(old.type())) {
                            throw new IllegalStateException("rule " + rule.name() + " replaced " + old + " by " + r + " of another type");
                        }
                        fired.merge(rule.name(), 1, Integer::sum);
                        break;
                    }
                }
            }
            if (r == null) r = copy(old);
            map.put(old, r);
            return r;
        } finally {
            building.remove(old);
        }
    }

    /** {@code old} with its operands rewritten, attributes and type unchanged. */
    public Node copy(Node old) {
        return copy(old, old.attrs());
    }

    /** {@code old} with its operands rewritten and new attributes. */
    public Node copy(Node old, Attrs attrs) {
        List<Node> in = new ArrayList<>(old.inputs().size());
        for (Node x : old.inputs()) in.add(get(x));
        return b.add(old.op(), in, attrs, old.type());
    }

    /** Adds {@code op(inputs)} (new nodes) with an inferred type. */
    public Node add(OpKind op, Attrs attrs, Node... inputs) { return b.add(op, attrs, inputs); }

    /** Uses of a source node, graph outputs included. */
    public int uses(Node old) { return uses.getOrDefault(old, 0); }

    /** Whether the only use of source node {@code old} is one operand of one node (not an output). */
    public boolean hasOneUse(Node old) { return uses(old) == 1 && !outputs.contains(old); }

    /** Distinct users of a source node, in source order. */
    public List<Node> users(Node old) { return users.getOrDefault(old, List.of()); }

    public boolean isOutput(Node old) { return outputs.contains(old); }

    /** The node made once per sweep for {@code key} (a fused node shared by several replaced roots). */
    public Node memo(Object key, Supplier<Node> make) {
        Node n = memo.get(key);
        if (n == null) {
            n = make.get();
            memo.put(key, n);
        }
        return n;
    }

    /** Whether source node {@code a} depends on source node {@code b} (b is a proper or improper ancestor). */
    public boolean dependsOn(Node a, Node b) {
        if (a == b) return true;
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Node> stack = new ArrayList<>(List.of(a));
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            for (Node in : n.inputs()) {
                if (in == b) return true;
                if (seen.add(in)) stack.add(in);
            }
        }
        return false;
    }

    /** Rules that fired in this sweep, with counts. */
    Map<String, Integer> fired() { return fired; }

    Node mapped(Node old) { return map.get(old); }
}
