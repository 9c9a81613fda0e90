package ggufc.passes.fusion;

import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.Stage;
import ggufc.passes.Target;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * fuse-elementwise: chains of elementwise ops (add, mul, scale, silu, gelu) become one kernel
 * group, together with the matmul whose result starts the chain (an epilogue) and a quantize that
 * ends it in front of a matmul (a prologue, as llama.cpp quantizes the activation inside its
 * mul_mat). A producer joins its consumer's group only when that consumer is its one use and the
 * shapes are equal, so intermediates are never written and no element is computed twice; every
 * group is then a tree whose only result is its root, hence convex.
 */
public final class FuseElementwise implements Pass {
    @Override public String name() { return "fuse-elementwise"; }

    @Override public String summary() { return "elementwise chains (with a matmul epilogue or quantize prologue) as one kernel group"; }

    @Override public Set<Stage> establishes() { return Set.of(Stage.KERNELS_GROUPED); }

    @Override
    public Optional<String> unsupportedBy(Target target) {
        return target.kernelGroups() ? Optional.empty() : Optional.of("target " + target.name() + " does not compile kernel groups");
    }

    @Override
    public Graph run(Graph g, PassContext cx) {
        Map<Node, Integer> uses = g.useCounts();
        Set<Node> outputs = Collections.newSetFromMap(new IdentityHashMap<>());
        outputs.addAll(g.outputs().values());
        UnionFind uf = new UnionFind();
        for (Node n : g.nodes()) {
            if (KernelGroups.grouped(n)) continue;
            if (OpKind.ELEMENTWISE.contains(n.op()) || n.op() == OpKind.QUANTIZE) {
                for (Node p : n.inputs()) {
                    boolean chain = OpKind.ELEMENTWISE.contains(p.op()) || (OpKind.MATMUL_FAMILY.contains(p.op()) && n.op() != OpKind.QUANTIZE);
                    if (chain && !KernelGroups.grouped(p) && uses.getOrDefault(p, 0) == 1 && !outputs.contains(p) && p.shape().equals(n.shape())) {
                        uf.unionAtMostOneMatmul(p, n);
                    }
                }
            }
            if ((n.op() == OpKind.MATMUL || n.op() == OpKind.MATMUL_ADD) && n.input(0).op() == OpKind.QUANTIZE) {
                Node q = n.input(0);
                if (!KernelGroups.grouped(q) && uses.getOrDefault(q, 0) == 1 && !outputs.contains(q)) uf.unionAtMostOneMatmul(q, n);
            }
        }
        Map<Node, List<Node>> groups = new LinkedHashMap<>();
        for (Node n : g.nodes()) if (uf.has(n)) groups.computeIfAbsent(uf.find(n), k -> new ArrayList<>()).add(n);
        Map<Node, Long> assignment = new IdentityHashMap<>();
        long id = KernelGroups.nextId(g);
        for (List<Node> members : groups.values()) {
            if (members.size() < 2) continue;
            for (Node m : members) assignment.put(m, id);
            cx.count("groups");
            cx.count("grouped ops", members.size());
            id++;
        }
        return KernelGroups.annotate(g, assignment);
    }

    /** Union-find over nodes (identity) that keeps at most one matmul per set: one kernel has one main loop. */
    static final class UnionFind {
        private final Map<Node, Node> parent = new IdentityHashMap<>();
        private final Map<Node, Boolean> hasMatmul = new IdentityHashMap<>();

        boolean has(Node n) { return parent.containsKey(n); }

        Node find(Node n) {
            Node p = parent.computeIfAbsent(n, k -> k);
            if (p == n) return n;
            Node root = find(p);
            parent.put(n, root);
            return root;
        }

        private boolean matmulIn(Node root) {
            return hasMatmul.computeIfAbsent(root, r -> OpKind.MATMUL_FAMILY.contains(r.op()));
        }

        void unionAtMostOneMatmul(Node a, Node b) {
            Node ra = find(a), rb = find(b);
            if (ra == rb) return;
            boolean ma = matmulIn(ra), mb = matmulIn(rb);
            if (ma && mb) return;
            parent.put(ra, rb);
            hasMatmul.put(rb, ma || mb);
        }
    }
}
