package ggufc.passes.rewrite;

import ggufc.ir.Attrs;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import java.util.Map;

/**
 * A successful pattern match: named nodes of the source graph. {@link #in} gives the rewritten
 * counterpart of a bound node, to use as an operand of the replacement.
 */
public record Match(Node root, Map<String, Node> bindings, Rewrite rw) {
    /** The source-graph node bound to {@code name}. */
    public Node old(String name) {
        Node n = bindings.get(name);
        if (n == null) throw new IllegalArgumentException("pattern binds no '" + name + "' (bound: " + bindings.keySet() + ")");
        return n;
    }

    /** The rewritten node for {@code name}: an operand for the replacement. */
    public Node in(String name) { return rw.get(old(name)); }

    public Attrs attrs(String name) { return old(name).attrs(); }

    public GraphBuilder b() { return rw.builder(); }
}
