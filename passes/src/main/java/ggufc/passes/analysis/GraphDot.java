package ggufc.passes.analysis;

import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.text.IrPrinter;
import ggufc.passes.fusion.KernelGroups;
import java.util.List;
import java.util.Map;

/**
 * A graph as Graphviz {@code dot} text: one box per op labelled like the IR text ({@code %i op},
 * type, attributes), leaves as ellipses (weights grey), views dashed, each kernel group a dashed
 * cluster, outputs as plain labels. Value numbers match {@code ggufc ir}'s printout.
 */
public final class GraphDot {
    private GraphDot() {}

    /** Fill colours of devices 0, 1, ... in a placed graph (collectives: red outline). */
    static final String[] DEVICE_COLOURS = {"#cfe2ff", "#d1f0d1", "#ffe5b4", "#f4cccc", "#e1d5f0", "#d9f2f2", "#fff2cc", "#e6e6e6"};

    public static String render(Graph g) {
        StringBuilder sb = new StringBuilder();
        sb.append("digraph ").append(quote(g.name())).append(" {\n");
        sb.append("  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n  edge [arrowsize=0.6];\n");
        java.util.Set<Integer> devices = ggufc.ir.Placement.devices(g);
        if (!devices.isEmpty()) {
            sb.append("  legend [shape=plaintext, label=\"");
            for (int d : devices) sb.append("device ").append(d).append(" = ").append(DEVICE_COLOURS[d % DEVICE_COLOURS.length]).append("  ");
            sb.append("collectives: red hexagons\"];\n");
        }
        Map<Node, Integer> index = g.indexOf();
        for (Node n : g.nodes()) {
            int i = index.get(n);
            StringBuilder label = new StringBuilder("%" + i + " " + n.op().irName());
            if (n.op().isLeaf() && n.attrs().get("name") instanceof String name) label.append(' ').append(IrPrinter.quote(name));
            label.append("\\n").append(IrPrinter.type(n.type()).replace("tensor<", "").replace(">", ""));
            var attrs = n.attrs().without("name").without("values").without(KernelGroups.KEY);
            if (attrs.size() > 0) label.append("\\n").append(IrPrinter.attrs(attrs));
            int dev = ggufc.ir.Placement.device(n);
            String style = switch (n.op()) {
                case PARAM, CONSTANT -> ", shape=ellipse, style=filled, fillcolor=\"" + (dev >= 0 ? DEVICE_COLOURS[dev % DEVICE_COLOURS.length] : "#e8e8e8") + "\"";
                case INPUT, STATE -> ", shape=ellipse" + (dev >= 0 ? ", style=filled, fillcolor=\"" + DEVICE_COLOURS[dev % DEVICE_COLOURS.length] + "\"" : "");
                case ALL_REDUCE, ALL_GATHER, TRANSFER -> ", shape=hexagon, style=\"filled,bold\", fillcolor=\"" + DEVICE_COLOURS[Math.max(0, dev) % DEVICE_COLOURS.length] + "\", color=red";
                default -> {
                    String base = KernelGroups.VIEWS.contains(n.op()) ? "dashed" : OpKind.FUSED.contains(n.op()) ? "bold" : "";
                    if (dev < 0) yield base.isEmpty() ? "" : ", style=" + base;
                    yield ", style=\"filled" + (base.isEmpty() ? "" : "," + base) + "\", fillcolor=\"" + DEVICE_COLOURS[dev % DEVICE_COLOURS.length] + "\"";
                }
            };
            sb.append("  n").append(i).append(" [label=").append(quote(label.toString())).append(style).append("];\n");
        }
        for (Map.Entry<Long, List<Node>> e : KernelGroups.members(g).entrySet()) {
            sb.append("  subgraph cluster_k").append(e.getKey()).append(" { label=\"kernel ").append(e.getKey()).append("\"; style=dashed;");
            for (Node n : e.getValue()) sb.append(" n").append(index.get(n)).append(';');
            sb.append(" }\n");
        }
        for (Node n : g.nodes()) {
            for (Node in : n.inputs()) sb.append("  n").append(index.get(in)).append(" -> n").append(index.get(n)).append(";\n");
        }
        int k = 0;
        for (Map.Entry<String, Node> e : g.outputs().entrySet()) {
            sb.append("  out").append(k).append(" [label=").append(quote(e.getKey())).append(", shape=plaintext];\n");
            sb.append("  n").append(index.get(e.getValue())).append(" -> out").append(k++).append(";\n");
        }
        return sb.append("}\n").toString();
    }

    /** A dot string literal ({@code \n} inside labels is dot's own line break and stays). */
    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') sb.append("\\\"");
            else if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == 'n') sb.append(c);
            else if (c == '\\') sb.append("\\\\");
            else if (c == '\n') sb.append("\\n");
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}
