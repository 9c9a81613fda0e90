package ggufc.passes;

import ggufc.ir.Graph;
import java.util.Optional;
import java.util.Set;

/**
 * One graph transformation with one kebab-case name, used alike by {@code --passes=},
 * {@code --print-ir-after=NAME} and the golden test folders. A pass is pure graph logic: the
 * {@link PassManager} dumps, verifies and times it.
 */
public interface Pass {
    /** Kebab-case name, e.g. {@code fold-quant-dequant}. */
    String name();

    /** One line for {@code --list-passes}. */
    String summary();

    /** The graph after this pass; the input itself when nothing changed. */
    Graph run(Graph g, PassContext cx);

    /** Why {@code target} cannot run what this pass makes, or empty. The default pipeline drops such passes. */
    default Optional<String> unsupportedBy(Target target) { return Optional.empty(); }

    /** Why this pass must not run on a graph in {@code state} (what has to run before, or must not have), or empty. */
    default Optional<String> notApplicable(GraphState state, Target target) { return Optional.empty(); }

    /** Facts that hold after this pass ran. */
    default Set<Stage> establishes() { return Set.of(); }

    /** Whether the pass preserves meaning exactly (else within the bound its class documents). */
    default boolean exact() { return true; }

    /** "run X first" unless {@code stage} was reached. */
    static Optional<String> unlessReached(GraphState state, Stage stage, String why) {
        return state.has(stage) ? Optional.empty() : Optional.of(why);
    }

    /** "must run before X" once {@code stage} is reached. */
    static Optional<String> unlessNotReached(GraphState state, Stage stage, String why) {
        return state.has(stage) ? Optional.of(why) : Optional.empty();
    }
}
