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
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * fuse-horizontal: the positional ops that read views of one tensor at the same positions (RoPE of
 * q, RoPE+cache write of k, cache write of v, all slices of one QKV projection) become one kernel
 * group: one launch walks the T rows of [q | k | v] once, as TensorRT-LLM's
 * applyBiasRopeUpdateKVCache and vLLM's rotary+reshape_and_cache kernels do. The members are
 * independent of each other, so the group is convex.
 */
public final class FuseHorizontal implements Pass {
    private static final Set<OpKind> POSITIONAL = EnumSet.of(OpKind.ROPE, OpKind.KV_WRITE, OpKind.ROPE_KV_WRITE);

    @Override public String name() { return "fuse-horizontal"; }

    @Override public String summary() { return "RoPE and KV-cache writes reading one QKV result as one kernel group"; }

    @Override public Set<Stage> establishes() { return Set.of(Stage.KERNELS_GROUPED); }

    @Override
    public Optional<String> unsupportedBy(Target target) {
        return target.kernelGroups() ? Optional.empty() : Optional.of("target " + target.name() + " does not compile kernel groups");
    }

    /** The node whose storage {@code n} views (through reshape and split), or {@code n}. */
    static Node storage(Node n) {
        while (n.op() == OpKind.RESHAPE || n.op() == OpKind.SPLIT) n = n.input(0);
        return n;
    }

    @Override
    public Graph run(Graph g, PassContext cx) {
        Map<List<Node>, List<Node>> byKey = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            if (!POSITIONAL.contains(n.op()) || KernelGroups.grouped(n)) continue;
            Node rows = n.op() == OpKind.ROPE ? n.input(0) : n.input(1);
            Node pos = n.op() == OpKind.ROPE ? n.input(1) : n.input(2);
            byKey.computeIfAbsent(List.of(storage(rows), pos), k -> new ArrayList<>()).add(n);
        }
        Map<Node, Long> assignment = new IdentityHashMap<>();
        long id = KernelGroups.nextId(g);
        for (List<Node> members : byKey.values()) {
            if (members.size() < 2 || !independent(members)) continue;
            for (Node m : members) assignment.put(m, id);
            cx.count("groups");
            cx.count("grouped ops", members.size());
            id++;
        }
        return KernelGroups.annotate(g, assignment);
    }

    private static boolean independent(List<Node> members) {
        for (Node a : members) {
            List<Node> stack = new ArrayList<>(a.inputs());
            Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            while (!stack.isEmpty()) {
                Node n = stack.removeLast();
                if (!seen.add(n)) continue;
                if (members.contains(n)) return false;
                stack.addAll(n.inputs());
            }
        }
        return true;
    }
}
