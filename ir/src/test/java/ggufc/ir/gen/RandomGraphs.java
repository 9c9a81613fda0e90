package ggufc.ir.gen;

import ggufc.ir.Attrs;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Shape;
import ggufc.ir.TensorType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Random valid graphs for property tests (round trip, interpreter, passes).
 *
 * <p>A graph is built deterministically from a list of random ints (a "choice sequence", as in
 * Hypothesis): jqwik shrinks the list, so a failing graph shrinks to a short one. Every graph is
 * built through {@link GraphBuilder}, hence valid; every {@link OpKind} is reachable (attention
 * ops, rope, kv_write/kv_read on states with write-back outputs, constants, reshape,
 * quantize/dequant), graphs have one to several outputs, and often dead nodes.
 *
 * <p>Two flavours:
 * <ul>
 *   <li>{@code graphs(true)}: small static shapes (dimensions at most 32 apart from quantized rows
 *       of one block of 32 or 256 and reshapes; at most {@link #SMALL_MAX_ELEMENTS} elements per
 *       tensor) and moderate attribute values, so evaluating the graph is cheap
 *       and numerically sensible: rms_norm eps in [1e-6, 1e-3], scale factors in [-2.5, 2.5],
 *       rope bases 1e4..1e6, attention scale 1/sqrt(head dim), constants in [-6.25, 6.25]
 *       (integers for i32). The only i32 inputs are {@code "tokens"} and {@code "pos"}; each
 *       carries an attribute {@code max}: valid input values are {@code 0..max} (token ids below
 *       every embedding table's row count, positions below every KV cache's capacity; every
 *       kv_read length is at most that capacity). Float inputs and params take any values.
 *   <li>{@code graphs(false)}: also symbolic dimensions (some containing {@code x}, some equal to
 *       dtype names), zero and huge dimensions, extreme doubles (NaN, infinities, -0.0, subnormal,
 *       max), extreme integers, strings and names needing escapes, and generic extra attributes
 *       ({@code hint_device = 1}, {@code split = "axis1"}, keyword-named and quoted-name keys) on any op; never
 *       {@code device}, which makes a graph placed (see ggufc.ir.Placement).
 * </ul>
 */
public final class RandomGraphs {
    private RandomGraphs() {}

    /** Random valid graphs; {@code staticSmallShapes}: cheap to evaluate (at most {@link #SMALL_MAX_ELEMENTS} per tensor) and numerically sensible. */
    public static Arbitrary<Graph> graphs(boolean staticSmallShapes) {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMaxSize(400)
                .map(choices -> generate(choices, staticSmallShapes));
    }

    /** Random valid graphs of every kind ({@code graphs(false)}). */
    public static Arbitrary<Graph> graphs() { return graphs(false); }

    /** The graph for one choice sequence (shorter and smaller choices give simpler graphs). */
    public static Graph generate(List<Integer> choices, boolean staticSmallShapes) {
        return new Gen(choices, staticSmallShapes).run();
    }

    /** A graph from a seed, for tests outside jqwik. */
    public static Graph generate(long seed, boolean staticSmallShapes) {
        Random r = new Random(seed);
        int n = 20 + r.nextInt(380);
        List<Integer> choices = new ArrayList<>(n);
        for (int i = 0; i < n; i++) choices.add(r.nextInt() & Integer.MAX_VALUE);
        return generate(choices, staticSmallShapes);
    }

    // ------------------------------------------------------------------ generator

    private enum Step {
        INPUT, PARAM, CONSTANT, ADD, MUL, SCALE, SILU, GELU, SOFTCAP, SOFTMAX, RMS_NORM, MATMUL, EMBED, ROPE, KV,
        ATTN_SCORES, CAUSAL_MASK, ATTN_VALUES, ATTENTION, RESHAPE, LAST_ROW, DEQUANT, QUANTIZE, ATTENTION_BLOCK, FFN_BLOCK, FUSED, MOE_BLOCK, CONCAT
    }

    private static final DType[] WEIGHT_TYPES = DType.values();
    // not "device": a device makes a graph placed, with rules of its own (Verifier.checkPlacement)
    private static final List<String> EXTRA_KEYS = List.of("hint_device", "split", "hint", "graph", "return", "inf", "nan",
            "true", "tensor", "_", "a.b", "x-y", "with space", "");
    private static final List<String> ODD_STRINGS = List.of("", "axis1", "quote\"d", "back\\slash", "new\nline", "tab\t",
            "cr\r", "unicode é ✓", "nul\u0000", "bell\u0007", "del\u007f", "emoji 😀", "lone \ud800 surrogate", "%0", "@g", "// no comment");
    private static final List<String> GRAPH_NAMES = List.of("llama_decode", "g", "model-v1.2", "with space", "", "quote\"d",
            "ünï", "$x", "0");
    /** Small graphs: no tensor has more elements than this. */
    public static final long SMALL_MAX_ELEMENTS = 32 * 1024;
    /** Small graphs: tensors larger than this are not used as operands again (so sizes stay bounded). */
    private static final long SMALL_REUSE_ELEMENTS = 1024;
    private static final List<String> BIG_SYMBOLS = List.of("D", "x", "ffn_x", "f32", "B", "n_embd");

    private static final class Gen {
        final List<Integer> choices;
        int at;
        final boolean small;
        final GraphBuilder b;
        final List<Node> pool = new ArrayList<>();
        final Map<String, Node> writeBacks = new LinkedHashMap<>();
        int counter;
        final Dim tokens, capacity, vocab;
        Node tokenIds, positions;

        Gen(List<Integer> choices, boolean small) {
            this.choices = choices;
            this.small = small;
            this.b = new GraphBuilder(small ? "g" : pickOf(GRAPH_NAMES));
            if (small) {
                tokens = Dim.of(1 + next(4));
                capacity = Dim.of(tokens.size() + next(6));
                vocab = Dim.of(4 + next(29));
            } else {
                tokens = pickOf(List.of(Dim.sym("T"), Dim.sym("tokens_x"), Dim.of(1), Dim.of(5)));
                capacity = pickOf(List.of(Dim.sym("C"), Dim.sym("ctx"), Dim.of(4096), Dim.of(8)));
                vocab = pickOf(List.of(Dim.of(32000), Dim.sym("V"), Dim.of(7)));
            }
        }

        // ---- choices

        boolean more() { return at < choices.size(); }

        /** A choice in [0, bound); 0 once the sequence is used up. */
        int next(int bound) {
            if (bound <= 1) return 0;
            return at < choices.size() ? choices.get(at++) % bound : 0;
        }

        boolean chance(int oneIn) { return next(oneIn) == 0 && more(); }

        <T> T pickOf(List<T> xs) { return xs.get(next(xs.size())); }

        // ---- the graph

        Graph run() {
            int steps = 0;
            while (more() && steps++ < 40) {
                Step s = Step.values()[next(Step.values().length)];
                step(s);
            }
            if (pool.stream().allMatch(n -> n.op().isLeaf())) step(Step.SILU);
            outputs();
            return b.build();
        }

        void step(Step s) {
            switch (s) {
                case INPUT -> input(small ? pickOf(List.of(DType.F32)) : pickOf(List.of(DType.F32, DType.I32, DType.F16)), freshShape());
                case PARAM -> {
                    Shape sh = freshShape();
                    param(sh.rank() > 0 ? weightType(sh.last()) : DType.F32, sh);
                }
                case CONSTANT -> constant(chance(3) ? DType.I32 : DType.F32, smallStaticShape());
                case ADD, MUL -> {
                    Node x = f32(n -> true);
                    int k = next(x.shape().rank() + 1);
                    Shape suffix = new Shape(x.shape().dims().subList(x.shape().rank() - k, x.shape().rank()));
                    Node y = k == x.shape().rank() && chance(4) ? x : need(new TensorType(suffix, DType.F32));
                    add(s == Step.ADD ? OpKind.ADD : OpKind.MUL, Attrs.EMPTY, x, y);
                }
                case SCALE -> add(OpKind.SCALE, Attrs.of("factor", small ? (next(41) - 20) / 8.0 : real()), f32(n -> true));
                case SILU -> add(OpKind.SILU, Attrs.EMPTY, f32(n -> n.shape().rank() >= 1));
                case GELU -> add(OpKind.GELU, Attrs.EMPTY, f32(n -> n.shape().rank() >= 1));
                case SOFTCAP -> add(OpKind.SOFTCAP, Attrs.of("cap", capValue()), f32(n -> n.shape().rank() >= 1));
                case SOFTMAX -> add(OpKind.SOFTMAX, Attrs.EMPTY, f32(n -> n.shape().rank() >= 1));
                case RMS_NORM -> rmsNorm(f32(n -> n.shape().rank() >= 1));
                case MATMUL -> {
                    Node x = f32(n -> n.shape().rank() >= 1);
                    Dim k = x.shape().last();
                    Node w = pick(n -> n.shape().rank() == 2 && n.shape().dim(1).equals(k) && (!small || !n.dtype().isInteger()));
                    if (w == null) w = param(weightType(k), new Shape(List.of(dim(), k)));
                    add(OpKind.MATMUL, Attrs.EMPTY, x, w);
                }
                case EMBED -> embed();
                case ROPE -> rope(rows3(null, null));
                case KV -> kv(rows3(null, null), true);
                case ATTN_SCORES -> scores(rows3(null, null));
                case CAUSAL_MASK -> {
                    Node sc = pick(n -> n.dtype() == DType.F32 && n.shape().rank() == 3 && n.shape().dim(1).equals(tokens));
                    add(OpKind.CAUSAL_MASK, window(Attrs.EMPTY), sc != null ? sc : scores(rows3(null, null)), pos());
                }
                case ATTN_VALUES -> {
                    Node p = pick(n -> n.dtype() == DType.F32 && n.shape().rank() == 3 && headsOk(n.shape().dim(0)));
                    if (p == null) p = add(OpKind.SOFTMAX, Attrs.EMPTY, scores(rows3(null, null)));
                    Dim heads = p.shape().dim(0), length = p.shape().dim(2);
                    Node v = kvRows(length, kvHeads(heads), null);
                    add(OpKind.ATTN_VALUES, Attrs.EMPTY, p, v);
                }
                case ATTENTION -> {
                    Node q = rows3(null, null);
                    Node k = kvRows(null, kvHeads(q.shape().dim(1)), q.shape().dim(2));
                    Node v = kvRows(k.shape().dim(0), k.shape().dim(1), null);
                    add(OpKind.ATTENTION, softcap(window(Attrs.of("scale", attnScale(q.shape().dim(2))))), q, k, v, pos());
                }
                case RESHAPE -> {
                    Node x = pick(n -> !small || n.dtype() == DType.F32);
                    if (x == null) x = f32(n -> true);
                    reshape(x, reshapeTarget(x.shape()));
                }
                case LAST_ROW -> add(OpKind.LAST_ROW, Attrs.EMPTY, f32(n -> n.shape().rank() == 2, new Shape(List.of(tokens, dim()))));
                case DEQUANT -> {
                    Node x = pick(n -> n.dtype().isQuantized() || n.dtype() == DType.F16 || n.dtype() == DType.BF16);
                    if (x == null) {
                        Dim k = small ? Dim.of(pickOf(List.of(32L, 256L))) : dim();
                        x = param(pickOf(quantTargets(k)), new Shape(List.of(dim(), k)));
                    }
                    add(OpKind.DEQUANT, Attrs.EMPTY, x);
                }
                case QUANTIZE -> {
                    Node x = f32(n -> n.shape().rank() >= 1 && (!small || !n.shape().last().isSymbolic()));
                    add(OpKind.QUANTIZE, Attrs.of("to", pickOf(quantTargets(x.shape().last())).irName()), x);
                }
                case ATTENTION_BLOCK -> attentionBlock();
                case FFN_BLOCK -> ffnBlock();
                case FUSED -> fused();
                case MOE_BLOCK -> moeBlock();
                case CONCAT -> {
                    // side by side along the last axis, which must be static there
                    Node a = f32(n -> n.shape().rank() >= 1 && !n.shape().last().isSymbolic(), new Shape(List.of(tokens, Dim.of(1 + next(8)))));
                    Node c = need(new TensorType(a.shape().replaceLast(Dim.of(1 + next(8))), DType.F32));
                    add(OpKind.CONCAT, Attrs.of("axis", (long) a.shape().rank() - 1), a, c);
                }
            }
        }

        void outputs() {
            List<Node> candidates = new ArrayList<>();
            for (Node n : pool) if (!n.op().isLeaf() || (!small && chance(8))) candidates.add(n);
            int k = 1 + next(3);
            int i = 0;
            Map<String, Node> outs = new LinkedHashMap<>();
            for (int j = 0; j < k; j++) {
                Node n = candidates.get(candidates.size() - 1 - next(candidates.size()));
                String name = small || !chance(3) ? "out" + i++ : pickOf(ODD_STRINGS) + "#" + i++;
                outs.put(name, n);
            }
            // state write-backs, mixed in among the others
            for (Map.Entry<String, Node> e : writeBacks.entrySet()) outs.put(e.getKey(), e.getValue());
            List<Map.Entry<String, Node>> order = new ArrayList<>(outs.entrySet());
            for (int j = order.size() - 1; j > 0; j--) {
                int r = next(j + 1);
                var t = order.get(j);
                order.set(j, order.get(r));
                order.set(r, t);
            }
            for (Map.Entry<String, Node> e : order) b.output(e.getKey(), e.getValue());
        }

        // ---- nodes

        Node add(OpKind op, Attrs attrs, Node... in) {
            Node n = b.add(op, List.of(in), decorate(attrs), null);
            pool.add(n);
            return n;
        }

        Node addDeclared(OpKind op, Attrs attrs, TensorType declared, Node... in) {
            Node n = b.add(op, List.of(in), decorate(attrs), declared);
            pool.add(n);
            return n;
        }

        /** Generic extra attributes (big graphs only). */
        Attrs decorate(Attrs a) {
            if (small || !chance(4)) return a;
            int n = 1 + next(2);
            for (int i = 0; i < n; i++) {
                String key = pickOf(EXTRA_KEYS);
                if (a.has(key)) continue;
                Object v = switch (next(7)) {
                    case 0 -> (long) next(4);
                    case 1 -> pickOf(List.of(Long.MIN_VALUE, Long.MAX_VALUE, -1L, 0L));
                    case 2 -> real();
                    case 3 -> chance(2);
                    case 4 -> pickOf(ODD_STRINGS);
                    case 5 -> List.of((long) next(8), Long.MIN_VALUE, 3L);
                    default -> next(3) == 0 ? List.<Double>of() : List.of(real(), real(), -0.0);
                };
                a = a.with(key, v);
            }
            return a;
        }

        String leafName(String base) {
            String n = base + "." + counter++;
            return !small && chance(6) ? pickOf(ODD_STRINGS) + n : n;
        }

        Node input(DType t, Shape s) {
            return addDeclared(OpKind.INPUT, Attrs.of("name", leafName("input")), new TensorType(s, t));
        }

        Node param(DType t, Shape s) {
            return addDeclared(OpKind.PARAM, Attrs.of("name", leafName("blk." + next(4) + ".weight")), new TensorType(s, t));
        }

        Node constant(DType t, Shape s) {
            int n = (int) s.staticElements();
            List<Double> values = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (t == DType.I32) values.add((double) (next(33) - 16));
                else values.add(small ? (next(201) - 100) / 16.0 : real());
            }
            return addDeclared(OpKind.CONSTANT, Attrs.of("values", values), new TensorType(s, t));
        }

        Node tokens() {
            if (tokenIds == null) {
                Attrs a = Attrs.of("name", "tokens");
                if (small) a = a.with("max", vocab.size() - 1);
                tokenIds = addDeclared(OpKind.INPUT, a, new TensorType(new Shape(List.of(tokens)), DType.I32));
            }
            return tokenIds;
        }

        Node pos() {
            if (positions == null) {
                Attrs a = Attrs.of("name", "pos");
                if (small) a = a.with("max", capacity.size() - 1);
                positions = addDeclared(OpKind.INPUT, a, new TensorType(new Shape(List.of(tokens)), DType.I32));
            }
            return positions;
        }

        /** A pool node (most recent first for small choices) satisfying p, or null (sometimes even when one exists). */
        Node pick(Predicate<Node> p) {
            List<Node> c = new ArrayList<>();
            for (int i = pool.size() - 1; i >= 0; i--) {
                Node n = pool.get(i);
                // small graphs: only modest tensors feed further ops, so nothing grows past SMALL_MAX_ELEMENTS
                if (small && n.shape().staticElements() > SMALL_REUSE_ELEMENTS) continue;
                if (p.test(n)) c.add(n);
            }
            if (c.isEmpty()) return null;
            int i = next(c.size() + 1);
            return i == c.size() ? null : c.get(i);
        }

        /** An f32 node satisfying p (which accepts any [T, D]), from the pool or new. */
        Node f32(Predicate<Node> p) {
            Shape fresh = freshShape();
            return f32(p, fresh.rank() > 0 ? fresh : new Shape(List.of(tokens, dim())));
        }

        Node f32(Predicate<Node> p, Shape fresh) {
            Node n = pick(x -> x.dtype() == DType.F32 && p.test(x));
            return n != null ? n : need(new TensorType(fresh, DType.F32));
        }

        /** A node of exactly this type: from the pool, or a new leaf. */
        Node need(TensorType t) {
            Node n = pick(x -> x.type().equals(t));
            if (n != null) return n;
            long elements = t.shape().staticElements();
            if (elements >= 0 && elements <= 16 && chance(3)) return constant(t.dtype(), t.shape());
            return chance(2) ? input(t.dtype(), t.shape()) : param(t.dtype(), t.shape());
        }

        Node rmsNorm(Node x) {
            Dim d = x.shape().last();
            Node w = need(new TensorType(new Shape(List.of(d)), DType.F32));
            double eps = small ? pickOf(List.of(1e-5, 1e-6, 1e-3)) : pickOf(List.of(Double.MIN_VALUE, 1e-300, 1e-5, 0.5, Double.MAX_VALUE, Double.POSITIVE_INFINITY));
            return add(OpKind.RMS_NORM, Attrs.of("eps", eps), x, w);
        }

        Node embed() {
            Node table = pick(n -> n.op() == OpKind.PARAM && n.shape().rank() == 2 && n.shape().dim(0).equals(vocab));
            if (table == null) {
                Dim d = dim();
                table = param(weightType(d), new Shape(List.of(vocab, d)));
            }
            return add(OpKind.EMBED, Attrs.EMPTY, table, tokens());
        }

        /** An f32 [T, H, Dh] node (H, Dh as given when not null), Dh even or symbolic. */
        Node rows3(Dim heads, Dim headDim) {
            Node n = pick(x -> x.dtype() == DType.F32 && x.shape().rank() == 3 && x.shape().dim(0).equals(tokens)
                    && (heads == null ? headsOk(x.shape().dim(1)) : x.shape().dim(1).equals(heads))
                    && (headDim == null ? evenOrSymbolic(x.shape().dim(2)) : x.shape().dim(2).equals(headDim)));
            if (n != null) return n;
            Dim h = heads != null ? heads : heads();
            Dim dh = headDim != null ? headDim : headDim();
            // sometimes a projection reshaped to heads, as models do
            if (h.isSymbolic() || dh.isSymbolic() || !chance(2)) return need(new TensorType(new Shape(List.of(tokens, h, dh)), DType.F32));
            Node x = f32(y -> y.shape().rank() == 2 && y.shape().dim(0).equals(tokens), new Shape(List.of(tokens, dim())));
            Node w = param(weightType(x.shape().last()), new Shape(List.of(Dim.of(h.size() * dh.size()), x.shape().last())));
            return reshape(add(OpKind.MATMUL, Attrs.EMPTY, x, w), new Shape(List.of(tokens, h, dh)));
        }

        boolean headsOk(Dim h) { return h.isSymbolic() || h.size() > 0; }

        boolean evenOrSymbolic(Dim d) { return d.isSymbolic() || (d.size() >= 2 && d.size() % 2 == 0); }

        Dim heads() {
            return small ? Dim.of(pickOf(List.of(1L, 2L, 4L))) : pickOf(List.of(Dim.of(1), Dim.of(4), Dim.of(32), Dim.sym("H")));
        }

        Dim headDim() {
            return small ? Dim.of(pickOf(List.of(2L, 4L, 8L))) : pickOf(List.of(Dim.of(2), Dim.of(64), Dim.of(128), Dim.sym("Dh"), Dim.sym("hx")));
        }

        /** Heads of k/v for {@code heads} query heads: a divisor (the same symbol when symbolic). */
        Dim kvHeads(Dim heads) {
            if (heads.isSymbolic()) return chance(2) ? heads : Dim.of(1 + next(4));
            List<Long> divisors = new ArrayList<>();
            for (long d = 1; d <= Math.min(heads.size(), 64); d++) if (heads.size() % d == 0) divisors.add(d);
            return divisors.isEmpty() ? Dim.of(1) : Dim.of(pickOf(divisors));
        }

        Node rope(Node x) {
            Dim dh = x.shape().dim(2);
            long nRot = dh.isSymbolic() ? 2L * (1 + next(4)) : 2L * (1 + next((int) Math.min(dh.size() / 2, 64)));
            double base = small ? pickOf(List.of(10000.0, 500000.0, 1e6)) : real();
            double fscale = small ? pickOf(List.of(1.0, 0.5, 0.25)) : real();
            Attrs a = Attrs.of("mode", pickOf(List.of("normal", "neox")), "n_rot", nRot, "freq_base", base, "freq_scale", fscale);
            // sometimes with rope_freqs: divisors in 1 .. 8, or 1e30 (a pair left unrotated)
            if (chance(4)) return add(OpKind.ROPE, a, x, pos(), freqFactors(nRot / 2));
            return add(OpKind.ROPE, a, x, pos());
        }

        /** A freq_factors constant of n values: 1 .. 8, or 1e30. */
        Node freqFactors(long n) {
            List<Double> v = new ArrayList<>();
            for (long i = 0; i < n; i++) v.add(chance(3) ? 1e30 : 1.0 + next(8));
            return addDeclared(OpKind.CONSTANT, Attrs.of("values", v), new TensorType(new Shape(List.of(Dim.of(n))), DType.F32));
        }

        /** A length for kv_read: at most the capacity in small graphs. */
        Dim length() {
            if (small) return Dim.of(1 + next((int) capacity.size()));
            return pickOf(List.of(Dim.sym("L"), Dim.sym("n_past_x"), capacity, Dim.of(3)));
        }

        /** Writes rows into a new state cache (written back, mostly) and reads a prefix back as f32. */
        Node kv(Node rows, boolean read) {
            String name = "cache." + pickOf(List.of("k", "v")) + "." + counter++;
            TensorType ct = new TensorType(new Shape(List.of(capacity, rows.shape().dim(1), rows.shape().dim(2))), chance(3) ? DType.F16 : DType.F32);
            Node cache = addDeclared(OpKind.STATE, Attrs.of("name", name), ct);
            Node written = cache;
            if (!chance(5)) {
                written = add(OpKind.KV_WRITE, Attrs.EMPTY, cache, rows, pos());
                if (!chance(5)) writeBacks.put(name, written);
            } else if (!small && chance(2)) {
                writeBacks.put(name, cache);
            }
            if (!read) return written;
            Dim l = length();
            return addDeclared(OpKind.KV_READ, Attrs.EMPTY, new TensorType(new Shape(List.of(l, ct.shape().dim(1), ct.shape().dim(2))), DType.F32), written);
        }

        /** An f32 [L, Hkv, D] node (null parts: any), mostly read from a KV cache. */
        Node kvRows(Dim length, Dim kvHeads, Dim headDim) {
            Node n = pick(x -> x.dtype() == DType.F32 && x.shape().rank() == 3 && (length == null || x.shape().dim(0).equals(length))
                    && x.shape().dim(1).equals(kvHeads) && (headDim == null || x.shape().dim(2).equals(headDim)));
            if (n != null) return n;
            Dim dh = headDim != null ? headDim : headDim();
            if (length == null && !chance(3)) {
                return kv(rows3(kvHeads, dh), true);
            }
            Dim l = length != null ? length : length();
            return need(new TensorType(new Shape(List.of(l, kvHeads, dh)), DType.F32));
        }

        Node scores(Node q) {
            Node k = kvRows(null, kvHeads(q.shape().dim(1)), q.shape().dim(2));
            return add(OpKind.ATTN_SCORES, Attrs.of("scale", attnScale(q.shape().dim(2))), q, k);
        }

        double attnScale(Dim headDim) {
            if (!small) return real();
            return 1.0 / Math.sqrt(headDim.size());
        }

        Node reshape(Node x, Shape to) {
            return addDeclared(OpKind.RESHAPE, Attrs.EMPTY, new TensorType(to, x.dtype()), x);
        }

        /** A shape with the same elements: symbols kept, static sizes regrouped, all shuffled. */
        Shape reshapeTarget(Shape s) {
            List<Dim> out = new ArrayList<>();
            long p = 1;
            for (Dim d : s.dims()) {
                if (d.isSymbolic()) out.add(d);
                else p *= d.size();
            }
            List<Long> factors = new ArrayList<>();
            factors.add(p);
            for (int i = 0; i < 2; i++) {
                int j = next(factors.size());
                long f = factors.get(j);
                long[] small = {2, 3, 4, 8};
                long by = small[next(small.length)];
                if (f > 0 && f % by == 0 && chance(2)) {
                    factors.set(j, f / by);
                    factors.add(j + 1, by);
                }
            }
            if (chance(4)) factors.add(1L);
            if (p == 1 && !out.isEmpty() && chance(2)) factors.clear();
            if (p == 1 && out.isEmpty() && chance(3)) factors.clear(); // a scalar
            for (long f : factors) out.add(next(out.size() + 1), Dim.of(f));
            return new Shape(out);
        }

        /** {@code a}, or in one graph of three {@code a} with a sliding window of 1-6 keys (Gemma's local layers), so masks cut rows short. */
        Attrs window(Attrs a) {
            return chance(3) ? a.with("window", (long) (1 + next(6))) : a;
        }

        /** A soft-capping value: small ones (0.25-8, so the cap bends typical values) or Gemma 2's 30 and 50. */
        double capValue() {
            return pickOf(List.of(0.25, 0.5, 1.0, 2.0, 5.0, 8.0, 30.0, 50.0));
        }

        /** {@code a}, or in one graph of three {@code a} with soft-capped scores (Gemma 2's attention). */
        Attrs softcap(Attrs a) {
            return chance(3) ? a.with("softcap", capValue()) : a;
        }

        void attentionBlock() {
            Dim model = small ? Dim.of(pickOf(List.of(8L, 16L, 32L))) : pickOf(List.of(Dim.of(64), Dim.of(4096)));
            Dim h = heads(), dh = small ? Dim.of(pickOf(List.of(2L, 4L, 8L))) : Dim.of(pickOf(List.of(16L, 64L)));
            if (h.isSymbolic()) h = Dim.of(4);
            Dim hkv = kvHeads(h);
            Node x = f32(n -> n.shape().rank() == 2 && n.shape().dim(0).equals(tokens) && n.shape().dim(1).equals(model), new Shape(List.of(tokens, model)));
            Node xn = rmsNorm(x);
            Node q = rope(reshape(matmul(xn, h.size() * dh.size()), new Shape(List.of(tokens, h, dh))));
            Node k = rope(reshape(matmul(xn, hkv.size() * dh.size()), new Shape(List.of(tokens, hkv, dh))));
            Node v = reshape(matmul(xn, hkv.size() * dh.size()), new Shape(List.of(tokens, hkv, dh)));
            Node kc = kv(k, true), vc = kvRowsFromCache(v, kc.shape().dim(0));
            Node att;
            double scale = attnScale(dh);
            Attrs mask = window(Attrs.EMPTY);
            double cap = chance(3) ? capValue() : 0;
            if (chance(2)) {
                Attrs a = mask.with("scale", scale);
                att = add(OpKind.ATTENTION, cap > 0 ? a.with("softcap", cap) : a, q, kc, vc, pos());
            } else {
                Node sc = add(OpKind.ATTN_SCORES, Attrs.of("scale", scale), q, kc);
                if (cap > 0) sc = add(OpKind.SOFTCAP, Attrs.of("cap", cap), sc);
                Node p = add(OpKind.SOFTMAX, Attrs.EMPTY, add(OpKind.CAUSAL_MASK, mask, sc, pos()));
                att = add(OpKind.ATTN_VALUES, Attrs.EMPTY, p, vc);
            }
            Node o = matmul(reshape(att, new Shape(List.of(tokens, Dim.of(h.size() * dh.size())))), model.size());
            add(OpKind.ADD, Attrs.EMPTY, x, o);
        }

        /** v written to its own cache and read back with the same length as k. */
        Node kvRowsFromCache(Node v, Dim length) {
            String name = "cache.v." + counter++;
            TensorType ct = new TensorType(new Shape(List.of(capacity, v.shape().dim(1), v.shape().dim(2))), chance(3) ? DType.F16 : DType.F32);
            Node cache = addDeclared(OpKind.STATE, Attrs.of("name", name), ct);
            Node w = add(OpKind.KV_WRITE, Attrs.EMPTY, cache, v, pos());
            writeBacks.put(name, w);
            return addDeclared(OpKind.KV_READ, Attrs.EMPTY, new TensorType(new Shape(List.of(length, v.shape().dim(1), v.shape().dim(2))), DType.F32), w);
        }

        void ffnBlock() {
            Node x = f32(n -> n.shape().rank() >= 1);
            Node xn = rmsNorm(x);
            long ff = small ? pickOf(List.of(8L, 16L, 32L)) : pickOf(List.of(64L, 11008L));
            Node gate = matmul(xn, ff), up = matmul(xn, ff);
            Node act = add(chance(2) ? OpKind.SILU : OpKind.GELU, Attrs.EMPTY, gate);
            Node down = matmul(add(OpKind.MUL, Attrs.EMPTY, act, up), x.shape().last());
            add(OpKind.ADD, Attrs.EMPTY, x, down);
        }

        /**
         * A mixture-of-experts FFN (llama.cpp's build_moe_ffn): router matmul, softmax, topk, take_along,
         * sum_normalize (sometimes a scale), gate/up matmul_id on x, down matmul_id on the per-slot
         * activations (sometimes with a per-expert scale), weighted_sum.
         */
        void moeBlock() {
            // small graphs: rows of at most 64, so 8 experts of [32, 64] stay within SMALL_MAX_ELEMENTS
            Node x = f32(n -> n.shape().rank() == 2 && (!small || n.shape().last().size() <= 64), new Shape(List.of(tokens, dim())));
            Dim k = x.shape().last();
            long experts = small ? pickOf(List.of(1L, 2L, 4L, 8L)) : pickOf(List.of(8L, 128L));
            int used = 1 + next((int) Math.min(experts, 8));
            Node probs = add(OpKind.SOFTMAX, Attrs.EMPTY, add(OpKind.MATMUL, Attrs.EMPTY, x, param(DType.F32, new Shape(List.of(Dim.of(experts), k)))));
            Node ids = add(OpKind.TOPK, Attrs.of("k", (long) used), probs);
            Node w = add(OpKind.SUM_NORMALIZE, Attrs.of("min", 6.103515625e-5), add(OpKind.TAKE_ALONG, Attrs.EMPTY, probs, ids));
            if (chance(3)) w = add(OpKind.SCALE, Attrs.of("factor", 2.5), w);
            Dim ff = small ? Dim.of(pickOf(List.of(8L, 32L))) : dim();
            Node gate = add(OpKind.MATMUL_ID, Attrs.EMPTY, x, expertWeight(experts, ff, k), ids);
            Node up = add(OpKind.MATMUL_ID, Attrs.EMPTY, x, expertWeight(experts, ff, k), ids);
            Node h = add(OpKind.MUL, Attrs.EMPTY, add(chance(2) ? OpKind.SILU : OpKind.GELU, Attrs.EMPTY, gate), up);
            Node down = chance(3) ? add(OpKind.MATMUL_ID, Attrs.EMPTY, h, expertWeight(experts, k, ff), ids, param(DType.F32, new Shape(List.of(Dim.of(experts)))))
                    : add(OpKind.MATMUL_ID, Attrs.EMPTY, h, expertWeight(experts, k, ff), ids);
            add(OpKind.ADD, Attrs.EMPTY, x, add(OpKind.WEIGHTED_SUM, Attrs.EMPTY, down, w));
        }

        /** Stacked expert weights [E, M, K] in a weight dtype whose blocks fit K, behind a dequant half the time when not f32. */
        Node expertWeight(long experts, Dim m, Dim k) {
            Node p = param(weightType(k), new Shape(List.of(Dim.of(experts), m, k)));
            return p.dtype() != DType.F32 && chance(2) ? add(OpKind.DEQUANT, Attrs.EMPTY, p) : p;
        }

        double eps() { return small ? 1e-5 : pickOf(List.of(1e-5, 1e-6, 1.0e-12, 3.0, Double.MIN_VALUE)); }

        /** One of the fused ops, on operands shaped like the unfused ops they replace. */
        void fused() {
            Node x = f32(n -> n.shape().rank() >= 1);
            Dim k = x.shape().last();
            Dim n = small ? Dim.of(pickOf(List.of(2L, 4L, 8L))) : dim();
            switch (next(6)) {
                case 0 -> {
                    List<Node> ops = new ArrayList<>(List.of(x, param(DType.F32, new Shape(List.of(k)))));
                    int weights = n.isSymbolic() ? 1 : 1 + next(3);
                    for (int i = 0; i < weights; i++) ops.add(param(weightType(k), new Shape(List.of(n, k))));
                    Node y = add(OpKind.NORM_MATMUL, Attrs.of("eps", eps()), ops.toArray(Node[]::new));
                    Dim total = y.shape().last();
                    if (!total.isSymbolic() && total.size() > 1) {
                        long size = 1 + next((int) total.size() - 1);
                        add(OpKind.SPLIT, Attrs.of("offset", (long) next((int) (total.size() - size + 1)), "size", size), y);
                    }
                }
                case 1, 2 -> {
                    boolean norm = next(2) == 0;
                    String act = pickOf(List.of("silu", "gelu"));
                    Node wg = param(weightType(k), new Shape(List.of(n, k))), wu = param(weightType(k), new Shape(List.of(n, k)));
                    if (norm) add(OpKind.NORM_GLU_MATMUL, Attrs.of("eps", eps(), "act", act), x, param(DType.F32, new Shape(List.of(k))), wg, wu);
                    else add(OpKind.GLU_MATMUL, Attrs.of("act", act), x, wg, wu);
                }
                case 3 -> {
                    Node w = param(weightType(k), new Shape(List.of(n, k)));
                    TensorType outType = new TensorType(x.shape().replaceLast(n), DType.F32);
                    add(OpKind.MATMUL_ADD, Attrs.EMPTY, x, w, need(outType));
                }
                default -> {
                    Node rows = rows3(null, null);
                    Dim dh = rows.shape().dim(2);
                    long nRot = dh.isSymbolic() ? 2L * (1 + next(4)) : 2L * (1 + next((int) Math.min(dh.size() / 2, 64)));
                    String name = "cache.r." + counter++;
                    TensorType ct = new TensorType(new Shape(List.of(capacity, rows.shape().dim(1), dh)), chance(3) ? DType.F16 : DType.F32);
                    Node cache = addDeclared(OpKind.STATE, Attrs.of("name", name), ct);
                    Attrs ra = Attrs.of("mode", pickOf(List.of("normal", "neox")), "n_rot", nRot, "freq_base", small ? 10000.0 : real(), "freq_scale", small ? 1.0 : real());
                    Node written = chance(4) ? add(OpKind.ROPE_KV_WRITE, ra, cache, rows, pos(), freqFactors(nRot / 2)) : add(OpKind.ROPE_KV_WRITE, ra, cache, rows, pos());
                    if (!chance(4)) writeBacks.put(name, written);
                }
            }
        }

        Node matmul(Node x, long n) { return matmul(x, Dim.of(n)); }

        Node matmul(Node x, Dim n) {
            Dim k = x.shape().last();
            return add(OpKind.MATMUL, Attrs.EMPTY, x, param(weightType(k), new Shape(List.of(n, k))));
        }

        // ---- types and values

        Dim dim() {
            if (small) return Dim.of(pickOf(List.of(1L, 2L, 3L, 4L, 8L, 16L, 32L)));
            return switch (next(4)) {
                case 0 -> Dim.sym(pickOf(BIG_SYMBOLS));
                case 1 -> tokens;
                default -> Dim.of(pickOf(List.of(0L, 1L, 2L, 3L, 8L, 32L, 64L, 256L, 4096L, 1L << 20)));
            };
        }

        Shape freshShape() {
            if (small && chance(2)) return new Shape(List.of(tokens, dim()));
            int rank = small ? 1 + next(2) : next(4);
            List<Dim> ds = new ArrayList<>();
            for (int i = 0; i < rank; i++) ds.add(dim());
            return new Shape(ds);
        }

        Shape smallStaticShape() {
            int rank = next(3);
            List<Dim> ds = new ArrayList<>();
            for (int i = 0; i < rank; i++) ds.add(Dim.of(pickOf(List.of(1L, 2L, 3L, 4L))));
            return new Shape(ds);
        }

        /** A weight dtype whose rows of k elements are whole blocks (plain types only in small graphs when k is not). */
        DType weightType(Dim k) {
            List<DType> ok = new ArrayList<>();
            for (DType t : WEIGHT_TYPES) {
                if (t.isInteger()) continue;
                if (!t.isQuantized() || (!k.isSymbolic() && k.size() > 0 && k.size() % t.blockSize() == 0) || (!small && k.isSymbolic())) ok.add(t);
            }
            if (small && chance(2)) return DType.F32;
            return pickOf(ok);
        }

        /** Targets of quantize for rows of {@code last}. */
        List<DType> quantTargets(Dim last) {
            List<DType> ok = new ArrayList<>(List.of(DType.F16, DType.BF16));
            for (DType t : WEIGHT_TYPES) {
                if (t.isQuantized() && (last.isSymbolic() || (last.size() % t.blockSize() == 0 && (!small || last.size() > 0)))) ok.add(t);
            }
            return ok;
        }

        double real() {
            return switch (next(4)) {
                case 0 -> pickOf(List.of(0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                        Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_NORMAL,
                        1e-300, 1.0 / 3, Math.PI, 1e7, 1e-3, 9.999999999999999e22, 1e21, 0.1, 10000.0, 1e-5));
                case 1 -> Double.longBitsToDouble(((long) next(1 << 30) << 34) ^ ((long) next(1 << 30) << 4) ^ next(16));
                default -> (next(2001) - 1000) / 64.0;
            };
        }
    }

    /** The op kinds of a graph (for coverage statistics). */
    public static Map<OpKind, Integer> opCounts(Graph g) {
        Map<OpKind, Integer> m = new TreeMap<>();
        for (Node n : g.nodes()) m.merge(n.op(), 1, Integer::sum);
        return m;
    }
}
