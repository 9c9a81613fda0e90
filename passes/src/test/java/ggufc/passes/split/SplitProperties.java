package ggufc.passes.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Placement;
import ggufc.ir.text.IrPrinter;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.Targets;
import ggufc.passes.check.Equivalence;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Every split mode keeps the meaning of random llama-like models ({@link LlamaBlocks}: random layer, head, GQA, head
 * size, model and FFN sizes, biases, q/k norms, MoE, tied heads, fused QKV, F32/F16/Q8_0 weights) over 2 to 4 devices with random
 * {@code --tensor-split} proportions (a device may get 0), main device and reduce type: on the interpreter
 * ({@link Equivalence.Probe}: a prompt step and a decode step, the split graph reading its sliced weights and KV caches),
 * the logits equal the unsplit ones, exactly for the exact modes (layer, row) and within the NMSE the non-exact passes
 * are held to for tensor and graph. The checker is shown to catch a wrong split: the same graphs with the last
 * operand of every all-reduce dropped, or every all-gather's operands reversed, fail it.
 */
class SplitProperties {
    record Split(String mode, SplitOptions options) {
        @Override public String toString() {
            return mode + " over " + options.devices() + " ts=" + java.util.Arrays.toString(options.proportions()) + " mg=" + options.mainDevice()
                    + " reduce=" + options.reduceType();
        }
    }

    @Provide
    Arbitrary<LlamaBlocks> models() { return LlamaBlocks.arbitrary(); }

    @Provide
    Arbitrary<Split> splits() {
        return Arbitraries.integers().between(2, 4).flatMap(n -> Combinators.combine(Arbitraries.of("layer", "row", "tensor", "graph"),
                Arbitraries.of(0, 1, 1, 2, 2, 3, 3, 4, 4).array(int[].class).ofSize(n).filter(a -> java.util.Arrays.stream(a).sum() > 0),
                Arbitraries.integers().between(0, n - 1), Arbitraries.of("f32", "f32", "bf16", "f16"))
                .as((mode, ts, mg, reduce) -> new Split(mode, new SplitOptions(n, java.util.Arrays.stream(ts).asDoubleStream().toArray(), mg, reduce))));
    }

    /** The first difference between {@code g} and {@code split} on the interpreter, or empty; fails when {@code g} cannot be probed. */
    static Optional<String> difference(Graph g, Graph split, boolean exact) {
        Equivalence.Probe probe = Equivalence.Probe.forGraph(g, Equivalence.randomParams(g, 17), 5);
        assertNotNull(probe, "the interpreter cannot run the unsplit graph, so nothing would be checked");
        return probe.compare(g, split, exact);
    }

    static Graph split(Graph g, Split s) {
        Pass p = SplitModes.pass(s.mode(), s.options());
        return p.run(g, new PassContext(Targets.INTERP, Equivalence.randomParams(g, 17)));
    }

    @Property(tries = 300)
    void everySplitModeKeepsTheLogits(@ForAll("models") LlamaBlocks m, @ForAll("splits") Split s) {
        Graph g = m.graph();
        Graph split = split(g, s);
        assertTrue(Placement.isPlaced(split), "nothing was placed");
        SplitStats st = SplitStats.of(split);
        net.jqwik.api.statistics.Statistics.label("mode").collect(s.mode());
        net.jqwik.api.statistics.Statistics.label("devices used").collect(Placement.devices(split).size());
        net.jqwik.api.statistics.Statistics.label("collectives").collect(st.allReduces() > 0 ? "all_reduce" : st.allGathers() > 0 ? "all_gather only" : st.transfers() > 0 ? "transfers only" : "none");
        net.jqwik.api.statistics.Statistics.label("model").collect((m.experts() > 0 ? "moe" : "dense") + (m.tied() ? ", tied" : ""));
        net.jqwik.api.statistics.Statistics.label("weights").collect(m.weightType() + (m.fusedQkv() ? ", fused qkv" : ""));
        Optional<String> d = difference(g, split, SplitModes.pass(s.mode(), s.options()).exact());
        assertTrue(d.isEmpty(), () -> m + " split " + s + ": " + d.get() + "\n" + IrPrinter.print(split));
    }

    /** {@code g} with {@code edit} applied to the operand list of every node of kind {@code op}. */
    static Graph rewire(Graph g, OpKind op, UnaryOperator<List<Node>> edit) {
        GraphBuilder b = new GraphBuilder(g.name());
        Map<Node, Node> map = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            List<Node> ins = new ArrayList<>();
            for (Node in : n.inputs()) ins.add(map.get(in));
            if (n.op() == op) ins = edit.apply(ins);
            map.put(n, b.add(n.op(), ins, n.attrs(), OpKind.DECLARED_TYPE.contains(n.op()) ? n.type() : null));
        }
        g.outputs().forEach((name, n) -> b.output(name, map.get(n)));
        return b.build();
    }

    static final LlamaBlocks TWO_LAYERS = new LlamaBlocks(2, 4, 2, 8, 32, 64, 24, true, true, 0, false, "neox", ggufc.ir.DType.F32, false);

    @Test
    void theCheckerCatchesAnAllReduceThatDropsItsLastPart() {
        Graph g = TWO_LAYERS.graph();
        for (String mode : List.of("tensor", "graph")) {
            for (int n = 2; n <= 4; n++) {
                Graph split = split(g, new Split(mode, SplitOptions.even(n)));
                assertEquals(Optional.empty(), difference(g, split, false), mode + " over " + n);
                Graph broken = rewire(split, OpKind.ALL_REDUCE, ins -> ins.subList(0, ins.size() - 1));
                assertTrue(broken.nodes().stream().anyMatch(x -> x.op() == OpKind.ALL_REDUCE), "no all_reduce in " + mode);
                Optional<String> d = difference(g, broken, false);
                assertTrue(d.isPresent(), mode + " over " + n + ": an all-reduce without its last part passes the check");
                System.out.println(mode + " over " + n + ", all-reduce without its last part: " + d.get());
            }
        }
    }

    @Test
    void theCheckerCatchesAnAllGatherInTheWrongOrder() {
        Graph g = TWO_LAYERS.graph();
        for (String mode : List.of("row", "graph")) {
            Graph split = split(g, new Split(mode, SplitOptions.even(2)));
            assertEquals(Optional.empty(), difference(g, split, SplitModes.pass(mode, SplitOptions.even(2)).exact()), mode);
            Graph broken = rewire(split, OpKind.ALL_GATHER, ins -> ins.reversed());
            assertTrue(broken.nodes().stream().anyMatch(x -> x.op() == OpKind.ALL_GATHER), "no all_gather in " + mode);
            Optional<String> d = difference(g, broken, false);
            assertTrue(d.isPresent(), mode + ": an all-gather in reverse order passes the check");
            System.out.println(mode + ", all-gather reversed: " + d.get());
        }
    }
}
