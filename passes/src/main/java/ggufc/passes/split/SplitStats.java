package ggufc.passes.split;

import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Placement;
import ggufc.passes.PassContext;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The communication of a placed graph per step: collectives counted once per group (the all_reduce nodes over the
 * same operands are one all-reduce, every device receiving), transfers one by one.
 */
public record SplitStats(int allReduces, int allGathers, int transfers) {
    public static SplitStats of(Graph g) {
        Set<List<Node>> reduces = new HashSet<>(), gathers = new HashSet<>();
        int transfers = 0;
        for (Node n : g.nodes()) {
            switch (n.op()) {
                case ALL_REDUCE -> reduces.add(identities(n.inputs()));
                case ALL_GATHER -> gathers.add(identities(n.inputs()));
                case TRANSFER -> transfers++;
                default -> {}
            }
        }
        return new SplitStats(reduces.size(), gathers.size(), transfers);
    }

    private static List<Node> identities(List<Node> in) { return in; }

    static void count(Graph g, PassContext cx) {
        SplitStats s = of(g);
        cx.count("devices", Placement.devices(g).size());
        cx.count("all_reduce", s.allReduces);
        cx.count("all_gather", s.allGathers);
        cx.count("transfer", s.transfers);
    }
}
