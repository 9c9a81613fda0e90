package ggufc.passes.fusion;

import ggufc.ir.Attrs;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Kernel groups: nodes carrying the same {@code kernel = k} attribute are compiled into one kernel
 * (an elementwise chain with the matmul it follows, the three positional ops on one QKV result).
 * The attribute is a scheduling decision, not semantics: the interpreter ignores it, and a backend
 * that does not declare {@code kernelGroups} never sees it.
 *
 * <p>A group must be convex: no path leaves the group and comes back, or no single kernel could
 * compute it. {@link #check} verifies this; the pass manager runs it with the IR verifier.
 */
public final class KernelGroups {
    private KernelGroups() {}

    /** The attribute naming a node's kernel group. */
    public static final String KEY = "kernel";

    /** The group of every grouped node. */
    public static Map<Node, Long> of(Graph g) {
        Map<Node, Long> r = new IdentityHashMap<>();
        for (Node n : g.nodes()) if (n.attrs().get(KEY) instanceof Long k) r.put(n, k);
        return r;
    }

    public static boolean grouped(Node n) { return n.attrs().has(KEY); }

    /** Members of every group, by group id, in node order. */
    public static Map<Long, List<Node>> members(Graph g) {
        Map<Long, List<Node>> r = new TreeMap<>();
        for (Node n : g.nodes()) if (n.attrs().get(KEY) instanceof Long k) r.computeIfAbsent(k, x -> new ArrayList<>()).add(n);
        return r;
    }

    /** A group id no node uses yet. */
    public static long nextId(Graph g) {
        long max = -1;
        for (Node n : g.nodes()) if (n.attrs().get(KEY) instanceof Long k) max = Math.max(max, k);
        return max + 1;
    }

    /**
     * {@code g} with {@code kernel} attributes added as assigned; all group ids (old and new) are
     * renumbered 0, 1, ... in node order so that the printed IR reads top to bottom.
     */
    public static Graph annotate(Graph g, Map<Node, Long> assignment) {
        if (assignment.isEmpty()) return g;
        Map<Long, Long> renumber = new HashMap<>();
        for (Node n : g.nodes()) {
            Long k = assignment.containsKey(n) ? assignment.get(n) : n.attrs().get(KEY) instanceof Long old ? old : null;
            if (k != null) renumber.putIfAbsent(k, (long) renumber.size());
        }
        GraphBuilder b = new GraphBuilder(g.name());
        Map<Node, Node> map = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            List<Node> in = new ArrayList<>();
            for (Node x : n.inputs()) in.add(map.get(x));
            Long k = assignment.containsKey(n) ? assignment.get(n) : n.attrs().get(KEY) instanceof Long old ? old : null;
            Attrs a = k == null ? n.attrs() : n.attrs().with(KEY, renumber.get(k));
            map.put(n, b.add(n.op(), in, a, n.type()));
        }
        for (Map.Entry<String, Node> e : g.outputs().entrySet()) b.output(e.getKey(), map.get(e.getValue()));
        return b.build();
    }

    /** Problems with the groups of {@code g}: non-integer ids, grouped leaves, non-convex groups. */
    public static List<String> check(Graph g) {
        List<String> problems = new ArrayList<>();
        Map<Node, Integer> index = g.indexOf();
        Map<Node, List<Node>> users = new IdentityHashMap<>();
        for (Node n : g.nodes()) for (Node in : n.inputs()) users.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        Map<Long, Set<Node>> groups = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            Object k = n.attrs().get(KEY);
            if (k == null) continue;
            String where = "%" + index.get(n) + " = " + n.op().irName();
            if (!(k instanceof Long id)) {
                problems.add(where + ": attribute " + KEY + " must be an integer group id, got " + k);
                continue;
            }
            if (n.op().isLeaf()) {
                problems.add(where + ": a leaf cannot belong to kernel group " + id);
                continue;
            }
            groups.computeIfAbsent(id, x -> Collections.newSetFromMap(new IdentityHashMap<>())).add(n);
        }
        for (Map.Entry<Long, Set<Node>> e : groups.entrySet()) {
            Set<Node> members = e.getValue();
            // walk forward from the group's users outside it; reaching a member means a path leaves and re-enters
            Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            List<Node> stack = new ArrayList<>();
            for (Node m : members) for (Node u : users.getOrDefault(m, List.of())) if (!members.contains(u)) stack.add(u);
            while (!stack.isEmpty()) {
                Node n = stack.removeLast();
                if (!seen.add(n)) continue;
                for (Node u : users.getOrDefault(n, List.of())) {
                    if (members.contains(u)) {
                        problems.add("kernel group " + e.getKey() + " is not convex: %" + index.get(u) + " = " + u.op().irName()
                                + " depends on the group through %" + index.get(n) + " = " + n.op().irName() + ", which is outside it");
                        stack.clear();
                        break;
                    }
                    stack.add(u);
                }
            }
        }
        return problems;
    }

    /** Ops that read their row-major operand as a view (no kernel of their own). */
    public static final Set<OpKind> VIEWS = EnumSet.of(OpKind.RESHAPE, OpKind.LAST_ROW, OpKind.SPLIT, OpKind.KV_READ);
}
