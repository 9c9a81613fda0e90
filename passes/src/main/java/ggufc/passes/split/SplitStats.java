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
                case ALL_REDUCE -> reduces.add(n.inputs());
                case ALL_GATHER -> gathers.add(n.inputs());
                case TRANSFER -> transfers++;
                default -> {}
            }
        }
        return new SplitStats(reduces.size(), gathers.size(), transfers);
    }

    /** One phrase for logs: {@code 10 all-reduces, 1 all-gather, 0 transfers per step}. */
    public String describe() {
        return allReduces + (allReduces == 1 ? " all-reduce, " : " all-reduces, ") + allGathers + (allGathers == 1 ? " all-gather, " : " all-gathers, ")
                + transfers + (transfers == 1 ? " transfer" : " transfers") + " per step";
    }

    /** What one device holds and does per decode step: stored weight and KV bytes, and its share of a step's cost. */
    public record DeviceCost(int device, long weightBytes, long kvBytes, ggufc.passes.analysis.StepCost step) {}

    /** Per device of a placed graph (one entry, device 0, for an unplaced one). */
    public static List<DeviceCost> perDevice(Graph g, long context) {
        List<DeviceCost> r = new java.util.ArrayList<>();
        java.util.Set<Integer> devs = Placement.devices(g);
        if (devs.isEmpty()) devs = java.util.Set.of(-1);
        for (int d : devs) {
            long w = 0, kv = 0;
            for (Node n : g.nodes()) {
                if (Placement.device(n) != d) continue;
                long e = n.shape().staticElements();
                if (n.op() == OpKind.PARAM) w += ggufc.passes.analysis.StepCost.bytes(n.dtype(), e);
                if (n.op() == OpKind.STATE) kv += ggufc.passes.analysis.StepCost.bytes(n.dtype(), e);
            }
            r.add(new DeviceCost(Math.max(0, d), w, kv, ggufc.passes.analysis.StepCost.of(d < 0 ? g : Placement.subgraph(g, d), context)));
        }
        return r;
    }

    /**
     * Bytes that cross devices in one step of {@code tokens} tokens: what each receiving device reads from the others
     * (an all-reduce's other parts in its reduce type, an all-gather's other shards, a transfer's value).
     */
    public static long bytesMoved(Graph g, long tokens) {
        long total = 0;
        for (Node n : g.nodes()) {
            switch (n.op()) {
                case ALL_REDUCE, ALL_GATHER -> {
                    String reduce = n.op() == OpKind.ALL_REDUCE ? n.attrs().string("reduce") : "f32";
                    for (Node in : n.inputs()) if (Placement.device(in) != Placement.device(n)) total += bytesOf(in, tokens, reduce);
                }
                case TRANSFER -> total += bytesOf(n, tokens, "f32");
                default -> {}
            }
        }
        return total;
    }

    /** Bytes of {@code n}'s value at {@code tokens} tokens in {@code type} (an all-reduce's travel type, or f32). */
    private static long bytesOf(Node n, long tokens, String type) {
        long e = 1;
        for (ggufc.ir.Dim d : n.shape().dims()) e *= d.isSymbolic() ? (d.symbol().equals("T") ? tokens : 1) : d.size();
        return ggufc.passes.analysis.StepCost.bytes(ggufc.ir.DType.fromIrName(type), e);
    }

    static void count(Graph g, PassContext cx) {
        SplitStats s = of(g);
        cx.count("devices", Placement.devices(g).size());
        cx.count("all_reduce", s.allReduces);
        cx.count("all_gather", s.allGathers);
        cx.count("transfer", s.transfers);
    }
}
