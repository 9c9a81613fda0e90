package ggufc.ir.text;

import ggufc.ir.Attrs;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TensorType;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes graphs in the IR's textual form (grammar and format: {@code ir/src/main/antlr4/ggufc/ir/text/Ir.g4}),
 * which {@link IrParser} reads back to a structurally equal graph.
 *
 * <pre>
 * graph @llama_decode {
 *   %0 = input "tokens" : tensor&lt;Txi32&gt;
 *   %1 = param "token_embd.weight" : tensor&lt;512x64xq8_0&gt;
 *   %2 = embed %1, %0 : tensor&lt;Tx64xf32&gt;
 *   %3 = param "blk.0.attn_norm.weight" : tensor&lt;64xf32&gt;
 *   %4 = rms_norm %2, %3 {eps = 1.0e-5} : tensor&lt;Tx64xf32&gt;
 *   return "hidden" = %4
 * }
 * </pre>
 *
 * The output is canonical and stable: values are renumbered {@code %0, %1, ...} in node order,
 * every value shows its type, attributes are sorted by name, reals are printed with
 * {@link Double#toString} (shortest text that parses back to the same bits; {@code inf},
 * {@code -inf}, {@code nan}; {@code -0.0} keeps its sign), strings are escaped, and leaves
 * (input, param, state) carry their name as a quoted string after the op. Up to three outputs
 * share the {@code return} line, more go one per line. An operand that is not in the graph (an
 * invalid graph being debugged) prints as {@code %undefined_<id>}, which the parser rejects.
 */
public final class IrPrinter {
    private IrPrinter() {}

    private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern BARE_GRAPH_NAME = Pattern.compile("[A-Za-z0-9_.$\\-]+");
    /** More outputs than this go one per line. */
    private static final int OUTPUTS_PER_LINE = 3;

    /** The text of one graph, ending with a newline. */
    public static String print(Graph g) {
        StringBuilder sb = new StringBuilder();
        print(g, sb);
        return sb.toString();
    }

    /** Several graphs, separated by blank lines (read back by {@link IrParser#parseAll}). */
    public static String printAll(List<Graph> graphs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < graphs.size(); i++) {
            if (i > 0) sb.append('\n');
            print(graphs.get(i), sb);
        }
        return sb.toString();
    }

    /**
     * A module: {@code module @name {}, its graphs indented by two and separated by blank lines, {@code }}
     * (read back by {@link IrParser#parseModule}).
     */
    public static String print(ggufc.ir.GraphModule m) {
        StringBuilder sb = new StringBuilder("module ").append(graphName(m.name())).append(" {\n");
        for (int i = 0; i < m.graphs().size(); i++) {
            if (i > 0) sb.append('\n');
            for (String line : print(m.graphs().get(i)).split("\n")) sb.append("  ").append(line).append('\n');
        }
        return sb.append("}\n").toString();
    }

    private static void print(Graph g, StringBuilder sb) {
        Map<Node, Integer> index = g.indexOf();
        sb.append("graph ").append(graphName(g.name())).append(" {\n");
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            sb.append("  %").append(i).append(" = ").append(n.op().irName());
            Attrs attrs = n.attrs();
            if (isNamedLeaf(n.op()) && attrs.get("name") instanceof String name) {
                sb.append(' ').append(quote(name));
                attrs = attrs.without("name");
            }
            for (int j = 0; j < n.inputs().size(); j++) {
                sb.append(j == 0 ? " " : ", ").append(valueName(n.input(j), index));
            }
            if (attrs.size() > 0) sb.append(' ').append(attrs(attrs));
            sb.append(" : ").append(type(n.type())).append('\n');
        }
        sb.append("  return");
        boolean multiline = g.outputs().size() > OUTPUTS_PER_LINE;
        int k = 0;
        for (Map.Entry<String, Node> e : g.outputs().entrySet()) {
            if (k++ > 0) sb.append(multiline ? ",\n        " : ",");
            sb.append(' ').append(quote(e.getKey())).append(" = ").append(valueName(e.getValue(), index));
        }
        sb.append("\n}\n");
    }

    private static boolean isNamedLeaf(OpKind op) {
        return op == OpKind.INPUT || op == OpKind.PARAM || op == OpKind.STATE;
    }

    private static String valueName(Node n, Map<Node, Integer> index) {
        Integer i = index.get(n);
        return i != null ? "%" + i : "%undefined_" + n.id();
    }

    /** {@code @name}, or {@code @"..."} when the name is not made of {@code [A-Za-z0-9_.$-]}. */
    public static String graphName(String name) {
        return "@" + (BARE_GRAPH_NAME.matcher(name).matches() ? name : quote(name));
    }

    /** A type as text: {@code tensor<Tx64xf32>}; symbols containing {@code x} in parentheses. */
    public static String type(TensorType t) {
        StringBuilder sb = new StringBuilder("tensor<");
        for (Dim d : t.shape().dims()) sb.append(dim(d)).append('x');
        return sb.append(t.dtype().irName()).append('>').toString();
    }

    static String dim(Dim d) {
        if (!d.isSymbolic()) return Long.toString(d.size());
        return d.symbol().indexOf('x') >= 0 ? "(" + d.symbol() + ")" : d.symbol();
    }

    /** An attribute dictionary {@code {a = 1, b = "s"}} in key order. */
    public static String attrs(Attrs attrs) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, Object> e : attrs.map().entrySet()) {
            if (!first) sb.append(", ");
            first = false;
            String key = e.getKey();
            sb.append(IDENT.matcher(key).matches() ? key : quote(key)).append(" = ").append(attrValue(e.getValue()));
        }
        return sb.append('}').toString();
    }

    /** One attribute value as text. */
    public static String attrValue(Object v) {
        return switch (v) {
            case Long l -> Long.toString(l);
            case Double d -> real(d);
            case Boolean b -> b.toString();
            case String s -> quote(s);
            case List<?> list -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) sb.append(", ");
                    sb.append(attrValue(list.get(i)));
                }
                yield sb.append(']').toString();
            }
            default -> throw new IllegalArgumentException("not an attribute value: " + v);
        };
    }

    /** A double that parses back to the same bits (all NaNs print as {@code nan}). */
    public static String real(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        return Double.toString(d).replace('E', 'e');
    }

    /** A quoted string with {@code \" \\ \n \r \t} and {@code \\uXXXX} for other control and surrogate chars. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || Character.isISOControl(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
