package ggufc.passes.cleanup;

import ggufc.ir.Attrs;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TensorType;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * cse: merges nodes computing the same op with the same attributes on the same operands (every op
 * is pure; KV writes return a new cache value), and equal constants. Named leaves are unique
 * already.
 */
public final class Cse implements Pass {
    @Override public String name() { return "cse"; }

    @Override public String summary() { return "merge nodes that compute the same op on the same operands"; }

    private record Key(OpKind op, List<Node> inputs, Attrs attrs, TensorType type) {}

    @Override
    public Graph run(Graph g, PassContext cx) {
        GraphBuilder b = new GraphBuilder(g.name());
        Map<Node, Node> map = new IdentityHashMap<>();
        Map<Key, Node> seen = new HashMap<>();
        int merged = 0;
        for (Node n : g.nodes()) {
            List<Node> in = new ArrayList<>(n.inputs().size());
            for (Node x : n.inputs()) in.add(map.get(x));
            boolean named = n.op() == OpKind.INPUT || n.op() == OpKind.PARAM || n.op() == OpKind.STATE;
            Key key = named ? null : new Key(n.op(), in, n.attrs(), n.type());
            Node same = key == null ? null : seen.get(key);
            if (same != null) {
                map.put(n, same);
                merged++;
                continue;
            }
            Node copy = b.add(n.op(), in, n.attrs(), n.type());
            if (key != null) seen.put(key, copy);
            map.put(n, copy);
        }
        if (merged == 0) return g;
        cx.count("merged", merged);
        for (Map.Entry<String, Node> e : g.outputs().entrySet()) b.output(e.getKey(), map.get(e.getValue()));
        return Dce.removeDead(b.build());
    }
}
