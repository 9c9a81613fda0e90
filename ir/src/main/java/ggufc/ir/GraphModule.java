package ggufc.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Graphs compiled and run together: a model's target step and its draft step (an early exit, an MTP head, a Gemma 4
 * assistant). They share state by name: a state leaf declared in several graphs is one buffer (the draft step reads
 * and writes the target's KV caches), and an input of one graph may be fed by another's output of the same name
 * (the assistant's {@code hidden}, the target's final-norm rows). Printed and parsed as one unit
 * ({@code module @name { graph ... graph ... }}) and verified as one ({@link Verifier#verify(GraphModule)}).
 */
public record GraphModule(String name, List<Graph> graphs) {
    public GraphModule {
        graphs = List.copyOf(graphs);
    }

    public static GraphModule of(String name, Graph... graphs) { return new GraphModule(name, List.of(graphs)); }

    /** The graph named {@code graphName}, or null. */
    public Graph graph(String graphName) {
        for (Graph g : graphs) if (g.name().equals(graphName)) return g;
        return null;
    }

    /** This module with every graph replaced by {@code f} of it (a pass pipeline run on each). */
    public GraphModule map(UnaryOperator<Graph> f) {
        List<Graph> out = new ArrayList<>(graphs.size());
        for (Graph g : graphs) out.add(f.apply(g));
        return new GraphModule(name, out);
    }

    /** Every state name declared by more than one graph, with the names of the graphs declaring it, in order. */
    public Map<String, List<String>> sharedStates() {
        Map<String, List<String>> by = new LinkedHashMap<>();
        for (Graph g : graphs) for (Node s : g.states()) by.computeIfAbsent(s.attrs().string("name"), k -> new ArrayList<>()).add(g.name());
        by.values().removeIf(l -> l.size() < 2);
        return by;
    }

    @Override
    public String toString() { return "module @" + name + " " + graphs.stream().map(Graph::name).toList(); }
}
