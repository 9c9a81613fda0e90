package ggufc.ir.analysis;

import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TensorData;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Size and cost of a graph: op counts, weights (count, elements, bytes per dtype), and FLOPs per
 * generated token as {@code a + b·L} (L = context length; attention grows with it).
 */
public record GraphStats(Map<OpKind, Integer> opCounts, int paramTensors, long paramElements, Map<DType, Long> paramBytesByDType,
                         long flopsPerTokenBase, long flopsPerTokenPerContext, long stateBytes) {

    public static GraphStats of(Graph g) {
        Map<OpKind, Integer> ops = new EnumMap<>(OpKind.class);
        Map<DType, Long> bytes = new TreeMap<>();
        int tensors = 0;
        long elements = 0, stateBytes = 0;
        for (Node n : g.nodes()) {
            ops.merge(n.op(), 1, Integer::sum);
            if (n.op() == OpKind.PARAM) {
                long e = n.shape().staticElements();
                tensors++;
                elements += e;
                bytes.merge(n.dtype(), n.dtype().bytesFor(e), Long::sum);
            } else if (n.op() == OpKind.STATE) {
                stateBytes += n.dtype().bytesFor(n.shape().staticElements());
            }
        }
        long f0 = flops(g, 0), f1 = flops(g, 1);
        return new GraphStats(ops, tensors, elements, bytes, f0, f1 - f0, stateBytes);
    }

    public long paramBytes() { return paramBytesByDType.values().stream().mapToLong(Long::longValue).sum(); }

    public int nodeCount() { return opCounts.values().stream().mapToInt(Integer::intValue).sum(); }

    /** FLOPs of one decode step (T = 1) at context length {@code l}. */
    public static long flops(Graph g, long l) {
        long total = 0;
        for (Node n : g.nodes()) {
            total += switch (n.op()) {
                case MATMUL -> 2 * size(n.input(0).shape().last(), l) * size(n.input(1).shape().dim(0), l) * rowsPerToken(n);
                case ATTN_SCORES, ATTN_VALUES, ATTENTION -> {
                    // q heads x keys x head dim, multiply-add; ATTENTION does both products
                    Node q = n.input(0);
                    long h = n.op() == OpKind.ATTN_VALUES ? size(n.input(0).shape().dim(0), l) : size(q.shape().dim(1), l);
                    long dh = n.op() == OpKind.ATTN_VALUES ? size(n.input(1).shape().dim(2), l) : size(q.shape().dim(2), l);
                    yield (n.op() == OpKind.ATTENTION ? 4 : 2) * h * l * dh;
                }
                default -> 0;
            };
        }
        return total;
    }

    /** Rows of a matmul's activation for one token: 1 when the leading dims are T or 1. */
    private static long rowsPerToken(Node matmul) {
        long r = 1;
        var dims = matmul.input(0).shape().dims();
        for (int i = 0; i < dims.size() - 1; i++) if (!dims.get(i).isSymbolic()) r *= dims.get(i).size();
        return r;
    }

    private static long size(Dim d, long l) {
        if (!d.isSymbolic()) return d.size();
        return d.symbol().equals("L") ? l : 1;
    }

    /** Human-readable report. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("nodes:             %d%n", nodeCount()));
        Map<String, Integer> byName = new LinkedHashMap<>();
        opCounts.forEach((k, v) -> byName.put(k.irName(), v));
        sb.append("ops:               ").append(byName).append('\n');
        sb.append(String.format("weight tensors:    %d%n", paramTensors));
        sb.append(String.format("parameters:        %,d%n", paramElements));
        sb.append(String.format("weight bytes:      %,d%n", paramBytes()));
        paramBytesByDType.forEach((d, b) -> sb.append(String.format("  %-6s           %,d%n", d.irName(), b)));
        sb.append(String.format("state bytes:       %,d (KV cache)%n", stateBytes));
        sb.append(String.format("FLOPs per token:   %,d + %,d x L (L = context length)%n", flopsPerTokenBase, flopsPerTokenPerContext));
        return sb.toString();
    }

    static long elements(long[] s) { return TensorData.elements(s); }
}
