package ggufc.passes.analysis;

import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Shape;
import ggufc.passes.fusion.KernelGroups;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one decode step (T = 1 token) at context length L costs, as a compiled graph would run it.
 *
 * <p><b>Kernels</b>: every op is a kernel except leaves and views ({@code reshape}, {@code last_row},
 * {@code split}, {@code kv_read} read their operand in place); the nodes of one kernel group are one
 * kernel. <b>Bytes</b>: each kernel reads its operands from outside the kernel once and writes
 * those of its results used outside it (or returned); a view is read in its storage's dtype (an f16
 * cache through {@code kv_read} costs 2 bytes an element); a KV write touches only the T new rows
 * (the cache is updated in place) and {@code embed} reads only the T gathered rows. Traffic is split
 * by what the tensor is: <i>weights</i> (params, constants and anything computed from them alone,
 * e.g. a dequantized copy of a weight), <i>KV cache</i> (states and their updates), and
 * <i>activations</i> (everything that depends on the step's inputs). <b>FLOPs</b>: multiply-adds
 * count 2; elementwise ops 1 per element, rms_norm and softmax 4, RoPE 3 per rotated element;
 * conversions, gathers, masks and top-k selection 0; {@code matmul_id} counts only the selected
 * experts (K of them per token, reading K·M·N weights per token, at most all E experts' for a batch), {@code sum_normalize} 2 and
 * {@code weighted_sum} 2 per input element. A fused op costs exactly the sum of its parts, so fusion never
 * changes FLOPs.
 *
 * <p>Symbols: T = 1, L = the given context, any other symbol 1.
 */
public record StepCost(int nodes, int ops, int kernels, long weightBytes, long activationBytes, long kvBytes, long flops, long context) {

    public enum Kind { WEIGHT, ACTIVATION, KV }

    public static StepCost of(Graph g, long context) {
        Map<String, Long> symbols = new HashMap<>();
        symbols.put("T", 1L);
        symbols.put("L", context);
        return of(g, symbols, context);
    }

    public static StepCost of(Graph g, Map<String, Long> symbols, long context) {
        return new Analysis(g, symbols).run(context);
    }

    /**
     * One kernel of a step: its first node (graph order), every node in it, the bytes it moves (all kinds), of them
     * the weight bytes, and its FLOPs, by the same accounting as {@link #of}. View FLOPs (none) are not listed.
     */
    public record Kernel(Node head, List<Node> nodes, long bytes, long weightBytes, long flops) {}

    /** The kernels of one step of {@code g} with the given symbols (T = tokens, L = context), in graph order. */
    public static List<Kernel> kernels(Graph g, Map<String, Long> symbols) {
        Analysis a = new Analysis(g, symbols);
        a.run(0);
        return a.kernels;
    }

    /** Context length used when none is given: the KV capacity of the graph, at most 512 (512 without caches). */
    public static long defaultContext(Graph g) {
        long cap = 0;
        for (Node n : g.states()) {
            Dim d = n.shape().rank() > 0 ? n.shape().dim(0) : null;
            if (d != null && !d.isSymbolic()) cap = Math.max(cap, d.size());
        }
        return cap > 0 ? Math.min(cap, 512) : 512;
    }

    /** Bytes of {@code elements} values of {@code t} (fractional blocks rounded down). */
    public static long bytes(DType t, long elements) { return elements * t.blockBytes() / t.blockSize(); }

    public long totalBytes() { return weightBytes + activationBytes + kvBytes; }

    private static final class Analysis {
        final Graph g;
        final Map<String, Long> symbols;
        final Map<Node, Kind> kind = new IdentityHashMap<>();
        final Map<Node, Object> unit = new IdentityHashMap<>();
        final Map<Node, List<Node>> users = new IdentityHashMap<>();
        final Set<Node> outputs = Collections.newSetFromMap(new IdentityHashMap<>());
        final List<Kernel> kernels = new ArrayList<>();

        Analysis(Graph g, Map<String, Long> symbols) {
            this.g = g;
            this.symbols = symbols;
            for (Node n : g.nodes()) for (Node in : n.inputs()) users.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            outputs.addAll(g.outputs().values());
        }

        long elements(Shape s) {
            long e = 1;
            for (Dim d : s.dims()) e *= d.isSymbolic() ? symbols.getOrDefault(d.symbol(), 1L) : d.size();
            return e;
        }

        long dim(Dim d) { return d.isSymbolic() ? symbols.getOrDefault(d.symbol(), 1L) : d.size(); }

        static Node storage(Node n) {
            while (KernelGroups.VIEWS.contains(n.op())) n = n.input(0);
            return n;
        }

        Kind classify(Node n) {
            return switch (n.op()) {
                case PARAM, CONSTANT -> Kind.WEIGHT;
                case INPUT -> Kind.ACTIVATION;
                case STATE, KV_WRITE, ROPE_KV_WRITE -> Kind.KV;
                case RESHAPE, LAST_ROW, SPLIT, KV_READ -> kind.get(n.input(0));
                default -> {
                    boolean allWeights = true;
                    for (Node in : n.inputs()) allWeights &= kind.get(in) == Kind.WEIGHT;
                    yield allWeights ? Kind.WEIGHT : Kind.ACTIVATION;
                }
            };
        }

        /** Bytes a kernel moves reading {@code operand} as input {@code i} of {@code user}. */
        long readBytes(Node user, int i, Node operand) {
            if ((user.op() == OpKind.KV_WRITE || user.op() == OpKind.ROPE_KV_WRITE) && i == 0) return 0; // updated in place
            if (user.op() == OpKind.MATMUL_ID && i == 1) {
                // only the selected experts' rows: K experts of [M, N] per token, each expert read once however many
                // tokens select it (a batch of T tokens reads at most all E experts)
                long slots = Math.min(elements(user.input(2).shape()), dim(operand.shape().dim(0)));
                return slots * dim(operand.shape().dim(1)) * bytes(storage(operand).dtype(), dim(operand.shape().last()));
            }
            if (user.op() == OpKind.EMBED && i == 0) {
                long rows = elements(user.input(1).shape());
                return rows * bytes(storage(operand).dtype(), dim(operand.shape().last()));
            }
            return bytes(storage(operand).dtype(), elements(operand.shape()));
        }

        long writeBytes(Node n) {
            if (n.op() == OpKind.KV_WRITE || n.op() == OpKind.ROPE_KV_WRITE) return bytes(n.dtype(), elements(n.input(1).shape()));
            return bytes(n.dtype(), elements(n.shape()));
        }

        StepCost run(long context) {
            Map<Object, List<Node>> units = new LinkedHashMap<>();
            int ops = 0;
            long flops = 0;
            for (Node n : g.nodes()) {
                kind.put(n, classify(n));
                if (n.op().isLeaf()) continue;
                ops++;
                flops += flops(n);
                if (KernelGroups.VIEWS.contains(n.op())) continue;
                Object u = n.attrs().get(KernelGroups.KEY) instanceof Long k ? (Object) ("group " + k) : n;
                unit.put(n, u);
                units.computeIfAbsent(u, x -> new ArrayList<>()).add(n);
            }
            long[] bytes = new long[Kind.values().length];
            for (Map.Entry<Object, List<Node>> e : units.entrySet()) {
                Object u = e.getKey();
                long before = bytes[0] + bytes[1] + bytes[2], weightBefore = bytes[Kind.WEIGHT.ordinal()], kFlops = 0;
                Set<Node> read = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Node m : e.getValue()) {
                    kFlops += flops(m);
                    for (int i = 0; i < m.inputs().size(); i++) {
                        Node o = m.input(i);
                        if (u.equals(unit.get(storage(o))) || !read.add(o)) continue;
                        bytes[kind.get(o).ordinal()] += readBytes(m, i, o);
                    }
                    boolean usedOutside = outputs.contains(m);
                    for (Node user : users.getOrDefault(m, List.of())) usedOutside |= !u.equals(unit.get(user));
                    if (usedOutside) bytes[kind.get(m).ordinal()] += writeBytes(m);
                }
                kernels.add(new Kernel(e.getValue().getFirst(), List.copyOf(e.getValue()), bytes[0] + bytes[1] + bytes[2] - before,
                        bytes[Kind.WEIGHT.ordinal()] - weightBefore, kFlops));
            }
            return new StepCost(g.nodes().size(), ops, units.size(), bytes[Kind.WEIGHT.ordinal()], bytes[Kind.ACTIVATION.ordinal()],
                    bytes[Kind.KV.ordinal()], flops, context);
        }

        long matmulFlops(Node x, Node w) {
            long k = dim(x.shape().last()), rows = elements(x.shape()) / Math.max(1, k);
            return 2 * rows * k * dim(w.shape().dim(0));
        }

        long flops(Node n) {
            long out = elements(n.shape());
            return switch (n.op()) {
                case ADD, MUL, SCALE, SILU, GELU, SOFTCAP -> out;
                case SOFTMAX, RMS_NORM -> 4 * out;
                case MATMUL -> matmulFlops(n.input(0), n.input(1));
                // K expert rows of [M, N] per token, plus the per-expert scale's multiply
                case MATMUL_ID -> 2 * out * dim(n.input(1).shape().last()) + (n.inputs().size() > 3 ? out : 0);
                case TAKE_ALONG, TOPK -> 0;
                case SUM_NORMALIZE -> 2 * out;
                case WEIGHTED_SUM -> 2 * elements(n.input(0).shape());
                case MATMUL_ADD -> matmulFlops(n.input(0), n.input(1)) + out;
                case NORM_MATMUL -> {
                    long f = 4 * elements(n.input(0).shape());
                    for (int i = 2; i < n.inputs().size(); i++) f += matmulFlops(n.input(0), n.input(i));
                    yield f;
                }
                case GLU_MATMUL -> matmulFlops(n.input(0), n.input(1)) + matmulFlops(n.input(0), n.input(2)) + 2 * out;
                case NORM_GLU_MATMUL -> 4 * elements(n.input(0).shape()) + matmulFlops(n.input(0), n.input(2))
                        + matmulFlops(n.input(0), n.input(3)) + 2 * out;
                case ROPE -> rope(n, n.input(0));
                case ROPE_KV_WRITE -> rope(n, n.input(1));
                case ATTN_SCORES -> scores(n.input(0), n.input(1));
                case ATTN_VALUES -> 2 * elements(n.input(0).shape()) * dim(n.input(1).shape().dim(2));
                case ATTENTION -> {
                    // every key counted, sliding window or not: the fused op costs exactly its unfused parts
                    // (scores, softcap, mask, softmax, values over all L keys), which fusion must keep; the fused
                    // kernels' skipping of keys outside a window is a saving this model does not credit
                    long probs = dim(n.input(0).shape().dim(1)) * dim(n.input(0).shape().dim(0)) * dim(n.input(1).shape().dim(0));
                    // soft-capped scores (Gemma 2) add the softcap op's one flop per score
                    long cap = n.attrs().has("softcap") ? probs : 0;
                    yield scores(n.input(0), n.input(1)) + cap + 4 * probs + 2 * probs * dim(n.input(2).shape().dim(2));
                }
                default -> 0;
            };
        }

        long rope(Node n, Node x) {
            return 3 * dim(x.shape().dim(0)) * dim(x.shape().dim(1)) * n.attrs().integer("n_rot");
        }

        long scores(Node q, Node k) {
            long t = dim(q.shape().dim(0)), h = dim(q.shape().dim(1)), dh = dim(q.shape().dim(2)), l = dim(k.shape().dim(0));
            return h * t * l * (2 * dh + 1);
        }
    }

    /** Human-readable lines. */
    public String render() {
        return String.format("""
                nodes:                        %,d
                ops:                          %,d (views included)
                kernels per decode step:      %,d
                weight bytes per token:       %,d
                activation bytes per token:   %,d
                KV-cache bytes per token:     %,d
                FLOPs per token:              %,d
                (one decode step, T = 1, at context L = %d)
                """, nodes, ops, kernels, weightBytes, activationBytes, kvBytes, flops, context);
    }
}
