package ggufc.passes;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** What the pipeline so far established (stages) and which passes ran, in order. */
public record GraphState(Set<Stage> stages, List<String> history) {
    public GraphState {
        stages = stages.isEmpty() ? EnumSet.noneOf(Stage.class) : EnumSet.copyOf(stages);
        history = List.copyOf(history);
    }

    /** A freshly lifted (or parsed) graph: nothing established. */
    public static GraphState initial() { return new GraphState(EnumSet.noneOf(Stage.class), List.of()); }

    public boolean has(Stage s) { return stages.contains(s); }

    public GraphState after(String pass, Collection<Stage> reached) {
        EnumSet<Stage> s = stages.isEmpty() ? EnumSet.noneOf(Stage.class) : EnumSet.copyOf(stages);
        s.addAll(reached);
        List<String> h = new ArrayList<>(history);
        h.add(pass);
        return new GraphState(s, h);
    }
}
