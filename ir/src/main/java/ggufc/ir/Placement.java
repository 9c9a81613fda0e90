package ggufc.ir;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where the nodes of a placed graph run: the attribute {@code device} (an index into the run's device list) and the
 * split state {@code split} of the value ({@link OpKind#ALL_REDUCE} explains both). A graph is placed when any of its
 * nodes has a device; the {@link Verifier} then requires one on every node and checks that values cross devices
 * only through the collective ops.
 */
public final class Placement {
    private Placement() {}

    public static final String DEVICE = "device";
    public static final String SPLIT = "split";
    /** {@link #SPLIT} of one device's share of a sum. */
    public static final String PARTIAL = "partial";

    /** The device of {@code n}, or -1 when it has none. */
    public static int device(Node n) {
        return n.attrs().get(DEVICE) instanceof Long l ? l.intValue() : -1;
    }

    public static boolean isPlaced(Graph g) {
        for (Node n : g.nodes()) if (n.attrs().has(DEVICE)) return true;
        return false;
    }

    /** Devices used by {@code g}, ascending (empty for an unplaced graph). */
    public static Set<Integer> devices(Graph g) {
        Set<Integer> r = new TreeSet<>();
        for (Node n : g.nodes()) if (device(n) >= 0) r.add(device(n));
        return r;
    }

    public static boolean isPartial(Node n) { return PARTIAL.equals(n.attrs().get(SPLIT)); }

    /** The {@link #SPLIT} text of a shard: elements {@code offset .. offset + size} of axis {@code axis}, {@code total} long. */
    public static String shard(int axis, long offset, long size, long total) {
        return "shard(" + axis + ", " + offset + ":" + (offset + size) + " of " + total + ")";
    }

    /** Ops that are linear in their operand {@code i}, so a partial sum may flow through it (the result stays partial). */
    public static boolean linearIn(Node user, int i) {
        return switch (user.op()) {
            case SCALE, RESHAPE, LAST_ROW, SPLIT, TRANSFER -> true;
            case ADD -> true; // both operands must be partial: checked by the verifier
            case MUL -> !isPartial(user.input(1 - i));
            case WEIGHTED_SUM -> i == 0;
            case MATMUL, MATMUL_ID -> i == 0;
            default -> false;
        };
    }

    /**
     * The part of a placed graph that device {@code d} runs, as a graph of its own: its nodes, with each value it
     * receives from another device (an operand of its collectives) as an input named after that value; its outputs are
     * the graph's outputs on {@code d}, or its last node. For per-device costs.
     */
    public static Graph subgraph(Graph g, int d) {
        GraphBuilder b = new GraphBuilder(g.name() + "_device" + d);
        java.util.Map<Node, Node> map = new java.util.IdentityHashMap<>();
        java.util.Map<Node, Integer> index = g.indexOf();
        Node last = null;
        for (Node n : g.nodes()) {
            if (device(n) != d) continue;
            List<Node> ins = new java.util.ArrayList<>();
            for (Node in : n.inputs()) {
                Node m = map.get(in);
                if (m == null) {
                    Attrs a = Attrs.of("name", "%" + index.get(in) + "@" + device(in), DEVICE, (long) device(in));
                    if (in.attrs().has(SPLIT)) a = a.with(SPLIT, in.attrs().get(SPLIT));
                    m = b.add(OpKind.INPUT, List.of(), a, in.type());
                    map.put(in, m);
                }
                ins.add(m);
            }
            last = b.add(n.op(), ins, n.attrs(), OpKind.DECLARED_TYPE.contains(n.op()) ? n.type() : null);
            map.put(n, last);
        }
        boolean any = false;
        for (var e : g.outputs().entrySet()) {
            if (map.containsKey(e.getValue())) {
                b.output(e.getKey(), map.get(e.getValue()));
                any = true;
            }
        }
        if (!any && last != null) b.output("last", last);
        return b.build();
    }

    /**
     * {@code g} with a device on every node again after a pass rewrote part of a placed graph: a new op runs on its
     * first operand's device, a new leaf on its first user's; an operand of an all-reduce is a partial sum. The graph
     * itself when nothing was missing.
     */
    public static Graph inherit(Graph g) {
        java.util.Map<Node, Long> dev = new java.util.IdentityHashMap<>();
        java.util.Set<Node> partial = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        boolean missing = false;
        for (Node n : g.nodes()) {
            if (n.op() == OpKind.ALL_REDUCE) for (Node in : n.inputs()) if (!isPartial(in)) partial.add(in);
            if (!n.attrs().has(DEVICE)) missing = true;
        }
        if (!missing && partial.isEmpty()) return g;
        for (Node n : g.nodes()) {
            if (n.attrs().get(DEVICE) instanceof Long l) dev.put(n, l);
            else for (Node in : n.inputs()) if (dev.containsKey(in)) { dev.put(n, dev.get(in)); break; }
        }
        for (int i = g.nodes().size() - 1; i >= 0; i--) {
            Node n = g.nodes().get(i);
            if (!dev.containsKey(n)) continue;
            for (Node in : n.inputs()) dev.putIfAbsent(in, dev.get(n));
        }
        GraphBuilder b = new GraphBuilder(g.name());
        java.util.Map<Node, Node> map = new java.util.IdentityHashMap<>();
        for (Node n : g.nodes()) {
            Attrs a = n.attrs();
            if (!a.has(DEVICE)) a = a.with(DEVICE, dev.getOrDefault(n, 0L));
            if (partial.contains(n)) a = a.with(SPLIT, PARTIAL);
            List<Node> ins = new java.util.ArrayList<>();
            for (Node in : n.inputs()) ins.add(map.get(in));
            map.put(n, b.add(n.op(), ins, a, OpKind.DECLARED_TYPE.contains(n.op()) ? n.type() : null));
        }
        for (var e : g.outputs().entrySet()) b.output(e.getKey(), map.get(e.getValue()));
        return b.build();
    }
}
