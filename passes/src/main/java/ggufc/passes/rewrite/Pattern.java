package ggufc.passes.rewrite;

import ggufc.ir.Node;
import ggufc.ir.OpKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A tree pattern over the source graph, e.g.
 * {@code op(ATTN_VALUES, op(SOFTMAX, any("s")).oneUse(), any("v"))}. A name bound twice must bind
 * the same node (so {@code kv_write(c, rope(x, pos), pos)} requires one positions tensor).
 */
public sealed interface Pattern permits Pattern.Any, Pattern.Op, Pattern.Either {

    /** Any node, bound to {@code name}. */
    static Any any(String name) { return new Any(name, null); }

    /** A node of kind {@code kind} whose operands match {@code operands} (exactly that many). */
    static Op op(OpKind kind, Pattern... operands) { return new Op(kind, List.of(operands), null, false, null); }

    /** {@code kind(a, b)} or {@code kind(b, a)}. */
    static Pattern commutative(OpKind kind, Pattern a, Pattern b) { return new Either(op(kind, a, b), op(kind, b, a)); }

    /** The match at {@code root}, or null. */
    default Match match(Node root, Rewrite rw) {
        Map<String, Node> bindings = new HashMap<>();
        return matches(root, rw, bindings) ? new Match(root, Map.copyOf(bindings), rw) : null;
    }

    /** Whether {@code n} matches, adding bindings (left unchanged on failure). */
    boolean matches(Node n, Rewrite rw, Map<String, Node> bindings);

    private static boolean bind(String name, Node n, Map<String, Node> bindings) {
        if (name == null) return true;
        Node prev = bindings.putIfAbsent(name, n);
        return prev == null || prev == n;
    }

    record Any(String name, Predicate<Node> where) implements Pattern {
        public Any where(Predicate<Node> p) { return new Any(name, p); }

        @Override
        public boolean matches(Node n, Rewrite rw, Map<String, Node> bindings) {
            if (where != null && !where.test(n)) return false;
            return bind(name, n, bindings);
        }
    }

    record Op(OpKind kind, List<Pattern> operands, String name, boolean singleUse, Predicate<Node> where) implements Pattern {
        /** Binds the matched node to {@code name}. */
        public Op as(String bindName) { return new Op(kind, operands, bindName, singleUse, where); }

        /** Requires the node to have this one user only (fusing it then duplicates no work). */
        public Op oneUse() { return new Op(kind, operands, name, true, where); }

        public Op where(Predicate<Node> p) { return new Op(kind, operands, name, singleUse, p); }

        @Override
        public boolean matches(Node n, Rewrite rw, Map<String, Node> bindings) {
            if (n.op() != kind || n.inputs().size() != operands.size()) return false;
            if (singleUse && !rw.hasOneUse(n)) return false;
            if (where != null && !where.test(n)) return false;
            Map<String, Node> trial = new HashMap<>(bindings);
            if (!bind(name, n, trial)) return false;
            for (int i = 0; i < operands.size(); i++) {
                if (!operands.get(i).matches(n.input(i), rw, trial)) return false;
            }
            bindings.putAll(trial);
            return true;
        }
    }

    record Either(Pattern first, Pattern second) implements Pattern {
        @Override
        public boolean matches(Node n, Rewrite rw, Map<String, Node> bindings) {
            return first.matches(n, rw, bindings) || second.matches(n, rw, bindings);
        }
    }
}
