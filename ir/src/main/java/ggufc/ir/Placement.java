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

    /** Operand positions of {@code n} (for messages). */
    static List<Node> operands(Node n) { return n.inputs(); }
}
