package ggufc.passes.rewrite;

import ggufc.ir.Node;
import java.util.function.Function;

/**
 * One rewrite: given a node of the graph being rewritten, its replacement (built through the
 * {@link Rewrite}) or null when the rule does not apply. {@code doc} states the algebra in one line,
 * e.g. {@code matmul(x, dequant(w)) -> matmul(x, w)}; {@code ggufc ir --list-passes} prints it.
 *
 * <p>A replacement must have the root's type; the rewriter checks this and names the rule when it
 * does not.
 */
public record Rule(String name, String doc, Body body) {
    @FunctionalInterface
    public interface Body {
        /** @param root a node of the source graph; operands of the replacement come from {@link Rewrite#get} */
        Node apply(Node root, Rewrite rw);
    }

    public static Rule of(String name, String doc, Body body) { return new Rule(name, doc, body); }

    /** A rule that fires when {@code pattern} matches at the root; {@code build} may still return null. */
    public static Rule match(String name, String doc, Pattern pattern, Function<Match, Node> build) {
        return new Rule(name, doc, (root, rw) -> {
            Match m = pattern.match(root, rw);
            return m == null ? null : build.apply(m);
        });
    }
}
