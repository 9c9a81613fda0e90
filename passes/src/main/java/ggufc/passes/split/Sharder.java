package ggufc.passes.split;

import ggufc.ir.Attrs;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Placement;
import ggufc.ir.Shape;
import ggufc.ir.Slices;
import ggufc.ir.TensorType;
import ggufc.ir.Verifier;
import ggufc.passes.cleanup.Dce;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine every split pass runs: split-state propagation and materialization over any lifted graph, as llama.cpp's
 * meta backend infers split states and GSPMD partitions a program.
 *
 * <p>A value is <b>whole</b> (on every device that needs it: computed there again, or, with a home device, computed
 * there and transferred), a <b>shard</b> (axis a cut into per-device segments) or <b>partial</b> (each device holds a
 * share of a sum). A {@link Policy} decides only where weights are cut (the seeds: which matmul weights are cut by
 * output rows, which by input columns, with which segments) and where whole values live; the op rules below carry
 * the states through every op and insert {@code all_gather}, {@code all_reduce}, {@code transfer} or a local slice
 * where an op needs another state. A shard or partial value held by one device only is a whole value living there.
 * Cut weights and KV caches become params and states named by their slice ({@link Slices}).
 */
final class Sharder {
    /** Where weights are cut and whole values live. */
    interface Policy {
        /** How the weight operand of {@code op} (a matmul or matmul_id reading {@code weight}) is cut, or null for whole. */
        Cut cut(Node op, String weight, Layers layers);

        /** The device a whole value {@code n} is computed on (then transferred to others), or -1 for every device that needs it. */
        int home(Node n, Layers layers);

        /** Whether whole KV caches may exist on several devices (each its own copy, named {@code name@d}). */
        default boolean replicatedStates() { return true; }

        /** Whether fused weights read through {@code split} (QKV, gate+up) are first cut into one matmul per part. */
        default boolean unfuse() { return true; }

        /**
         * Whether shards and partial sums flow on into the ops that read them (heads, FFN, KV caches kept local); when
         * false, only the cut matmuls themselves run split and every other op takes whole values (row mode: each
         * matmul's slices are gathered at once).
         */
        default boolean propagate() { return true; }
    }

    /** A weight cut by output rows ({@code rows}: the result is sharded) or by input columns (the result is partial). */
    record Cut(boolean rows, long[] segs) {}

    /** A value's split state. */
    private sealed interface St permits Whole, Shard, Partial {}

    private record Whole() implements St {}

    private record Shard(int axis, long[] segs) implements St {
        boolean same(Shard o) { return axis == o.axis && Arrays.equals(segs, o.segs); }
    }

    private record Partial(long[] share) implements St {}

    private static final St WHOLE = new Whole();

    private final Graph g;
    private final Policy policy;
    private final SplitOptions opt;
    private final int n;
    private final Layers layers;
    private final GraphBuilder b;
    private final Map<Node, St> state = new IdentityHashMap<>();
    private final Map<Node, Integer> home = new IdentityHashMap<>();
    private final Map<Node, Node[]> local = new IdentityHashMap<>();
    /** Whole nodes: the states their operands must be in (materialized lazily per device). */
    private final Map<Node, St[]> wants = new IdentityHashMap<>();
    private final Map<Node, Node[]> gathered = new IdentityHashMap<>();
    private final Map<Node, Node[]> reduced = new IdentityHashMap<>();
    private final Map<String, Node> slicedLeaves = new HashMap<>();
    /** Sharded states: state leaf → its shard per device. */
    private final Map<Node, Shard> stateShards = new IdentityHashMap<>();
    private final String reduce;

    private Sharder(Graph g, Policy policy, SplitOptions opt) {
        this.g = g;
        this.policy = policy;
        this.opt = opt;
        this.n = opt.devices();
        this.layers = Layers.of(g);
        this.b = new GraphBuilder(g.name());
        this.reduce = opt.reduceType();
    }

    static Graph split(Graph g, Policy policy, SplitOptions opt) {
        if (Placement.isPlaced(g)) throw new ggufc.passes.PassException("graph @" + g.name() + " is already split over devices " + Placement.devices(g));
        return new Sharder(policy.unfuse() ? UnfuseSplitWeights.apply(g) : g, policy, opt).run();
    }

    // ---- propagation -------------------------------------------------------------------------------------

    private Graph run() {
        for (Node x : g.nodes()) {
            if (x.op().isLeaf()) {
                state.put(x, WHOLE);
                continue;
            }
            decide(x);
        }
        Map<String, Node> states = new HashMap<>();
        for (Node s : g.states()) states.put(s.name(), s);
        int main = opt.mainDevice();
        for (Map.Entry<String, Node> e : g.outputs().entrySet()) {
            Node v = e.getValue();
            Node st = states.get(e.getKey());
            if (st == null) {
                int h = state.get(v) instanceof Whole ? (home.containsKey(v) ? home.get(v) : policy.home(v, layers)) : -1;
                b.output(e.getKey(), need(v, WHOLE, h >= 0 ? h : main));
                continue;
            }
            // a KV cache written back: each device's copy or shard under its own name
            if (!local.containsKey(v) || Arrays.stream(local.get(v)).allMatch(java.util.Objects::isNull)) {
                int h = home.containsKey(v) ? home.get(v) : policy.home(v, layers);
                localWhole(v, h >= 0 ? h : main);
            }
            for (int d = 0; d < n; d++) {
                Node written = local.containsKey(v) ? local.get(v)[d] : null;
                Node leaf = local.containsKey(st) ? local.get(st)[d] : null;
                if (written == null && leaf == null) continue;
                if (written == null) written = leaf;
                b.output(leaf != null ? leaf.name() : written.name(), written);
            }
        }
        for (var e : replicaOutputs.entrySet()) b.output(e.getKey(), e.getValue());
        Graph out = Dce.removeDead(b.build());
        Verifier.verify(out);
        return out;
    }

    private void decide(Node x) {
        List<Node> in = x.inputs();
        St[] s = new St[in.size()];
        for (int i = 0; i < s.length; i++) s[i] = state.get(in.get(i));
        if (!policy.propagate() && x.op() != OpKind.MATMUL && x.op() != OpKind.MATMUL_ID) {
            whole(x);
            return;
        }
        switch (x.op()) {
            case MATMUL, MATMUL_ID -> matmul(x, s);
            case ADD, MUL -> binary(x, s);
            case SCALE, RESHAPE, LAST_ROW, SPLIT -> {
                if (s[0] instanceof Partial p) { emit(x, p, new St[] {p}); return; }
                if (x.op() == OpKind.RESHAPE && s[0] instanceof Shard sh) {
                    Shard o = reshaped(in.get(0), x, sh);
                    if (o != null) { emit(x, o, new St[] {sh}); return; }
                    whole(x);
                    return;
                }
                if (x.op() == OpKind.SPLIT && s[0] instanceof Shard sh && sh.axis == rank(x) - 1) { whole(x); return; }
                elementwise(x, s);
            }
            case SILU, GELU, SOFTCAP -> elementwise(x, s);
            case SOFTMAX, RMS_NORM, ROPE -> {
                if (s[0] instanceof Shard sh && sh.axis != rank(in.get(0)) - 1) {
                    St[] want = new St[s.length];
                    Arrays.fill(want, WHOLE);
                    want[0] = sh;
                    emit(x, sh, want);
                } else whole(x);
            }
            case KV_WRITE -> {
                Node cache = in.get(0);
                if (s[1] instanceof Shard sh && sh.axis == 1 && cache.op() == OpKind.STATE && !stateShards.containsKey(cache) && !local.containsKey(cache)) {
                    stateShards.put(cache, sh);
                    state.put(cache, sh);
                    emit(x, sh, new St[] {sh, sh, WHOLE});
                } else if (s[1] instanceof Shard sh && s[0] instanceof Shard c && c.same(sh)) {
                    emit(x, sh, new St[] {sh, sh, WHOLE});
                } else whole(x);
            }
            case KV_READ -> {
                if (s[0] instanceof Shard sh) emit(x, sh, new St[] {sh});
                else whole(x);
            }
            case ATTN_SCORES -> {
                Shard q = heads(s[0]), k = heads(s[1]);
                if (q != null && k != null && grouped(in.get(0), in.get(1), q, k)) emit(x, new Shard(0, q.segs), new St[] {q, k});
                else whole(x);
            }
            case CAUSAL_MASK -> {
                if (s[0] instanceof Shard sh && sh.axis == 0) emit(x, sh, new St[] {sh, WHOLE});
                else whole(x);
            }
            case ATTN_VALUES -> {
                Shard p = s[0] instanceof Shard sh && sh.axis == 0 ? sh : null, v = heads(s[1]);
                if (p != null && v != null && grouped(x, in.get(1), new Shard(1, p.segs), v)) emit(x, new Shard(1, p.segs), new St[] {p, v});
                else whole(x);
            }
            case ATTENTION -> {
                Shard q = heads(s[0]), k = heads(s[1]), v = heads(s[2]);
                if (q != null && k != null && v != null && k.same(v) && grouped(in.get(0), in.get(1), q, k)) emit(x, q, new St[] {q, k, v, WHOLE});
                else whole(x);
            }
            case WEIGHTED_SUM -> {
                if (s[0] instanceof Partial p && !(s[1] instanceof Partial)) emit(x, p, new St[] {p, WHOLE});
                else if (s[0] instanceof Shard sh && sh.axis == rank(in.get(0)) - 1) emit(x, new Shard(rank(x) - 1, sh.segs), new St[] {sh, WHOLE});
                else whole(x);
            }
            default -> whole(x);
        }
    }

    private static int rank(Node x) { return x.shape().rank(); }

    private static Shard heads(St s) { return s instanceof Shard sh && sh.axis == 1 ? sh : null; }

    /** Query heads {@code q} (of [T, H, Dh]) and key heads {@code k} (of [L, Hkv, Dh]) cut so each device keeps its groups. */
    private boolean grouped(Node qNode, Node kNode, Shard q, Shard k) {
        long h = qNode.shape().dim(1).size(), hkv = kNode.shape().dim(1).size();
        if (h % hkv != 0) return false;
        for (int d = 0; d < n; d++) if (q.segs[d] != k.segs[d] * (h / hkv)) return false;
        return true;
    }

    private void elementwise(Node x, St[] s) {
        if (s[0] instanceof Shard sh) {
            St[] want = new St[s.length];
            Arrays.fill(want, WHOLE);
            want[0] = sh;
            emit(x, sh, want);
        } else if (s[0] instanceof Partial p && x.op() == OpKind.SCALE) {
            emit(x, p, new St[] {p});
        } else whole(x);
    }

    private void binary(Node x, St[] s) {
        Node a = x.input(0), c = x.input(1);
        if (s[0] instanceof Partial p && s[1] instanceof Partial q && x.op() == OpKind.ADD && Arrays.equals(holders(p.share), holders(q.share))) {
            emit(x, p, new St[] {p, q});
            return;
        }
        if (x.op() == OpKind.MUL && s[0] instanceof Partial p && !(s[1] instanceof Partial)) {
            emit(x, p, new St[] {p, broadcastOrWhole(s[1])});
            return;
        }
        if (x.op() == OpKind.MUL && s[1] instanceof Partial p && !(s[0] instanceof Partial) && a.shape().rank() == c.shape().rank()) {
            emit(x, p, new St[] {broadcastOrWhole(s[0]), p});
            return;
        }
        if (s[0] instanceof Shard sa) {
            int bAxis = sa.axis - (rank(a) - rank(c));
            if (bAxis < 0) {
                if (s[1] instanceof Whole) { emit(x, sa, new St[] {sa, WHOLE}); return; }
            } else {
                Shard want = new Shard(bAxis, sa.segs);
                if (s[1] instanceof Shard sb && sb.same(want)) { emit(x, sa, new St[] {sa, sb}); return; }
                if (s[1] instanceof Whole && bAxis == rank(c) - 1) { emit(x, sa, new St[] {sa, want}); return; }
            }
        }
        if (s[1] instanceof Shard sb && rank(a) == rank(c) && s[0] instanceof Whole && sb.axis == rank(a) - 1) {
            emit(x, sb, new St[] {sb, sb});
            return;
        }
        whole(x);
    }

    private static St broadcastOrWhole(St s) { return s instanceof Shard ? WHOLE : s; }

    private void matmul(Node x, St[] s) {
        Node w = x.input(1);
        Node param = weightParam(w);
        Cut cut = param == null ? null : policy.cut(x, param.name(), layers);
        int wRank = rank(w);
        if (cut != null && cut.rows) {
            Shard out = new Shard(rank(x) - 1, cut.segs);
            St[] want = new St[s.length];
            Arrays.fill(want, WHOLE);
            want[1] = new Shard(wRank - 2, cut.segs);
            emit(x, out, want);
            return;
        }
        if (cut != null) {
            long[] segs = cut.segs;
            // follow the operand's own cut when it is one the weight's blocks allow
            if (s[0] instanceof Shard sh && sh.axis == rank(x.input(0)) - 1 && blockAligned(w, sh.segs)) segs = sh.segs;
            Shard xs = new Shard(rank(x.input(0)) - 1, segs);
            St[] want = new St[s.length];
            Arrays.fill(want, WHOLE);
            want[0] = xs;
            want[1] = new Shard(wRank - 1, segs);
            emit(x, new Partial(segs), want);
            return;
        }
        if (x.op() == OpKind.MATMUL && s[0] instanceof Shard sh && sh.axis < rank(x.input(0)) - 1) {
            emit(x, sh, new St[] {sh, WHOLE});
            return;
        }
        whole(x);
    }

    private static boolean blockAligned(Node w, long[] segs) {
        int block = w.op() == OpKind.DEQUANT ? w.input(0).dtype().blockSize() : w.dtype().blockSize();
        for (long sg : segs) if (sg % block != 0) return false;
        return true;
    }

    /** Whether {@code v} is computed from weights and constants alone through dequant or reshape. */
    private static boolean weightExpr(Node v) {
        if (v.op() == OpKind.PARAM || v.op() == OpKind.CONSTANT) return true;
        return (v.op() == OpKind.DEQUANT || v.op() == OpKind.RESHAPE) && weightExpr(v.input(0));
    }

    /** The param behind a weight operand (through dequant), or null. */
    static Node weightParam(Node w) {
        if (w.op() == OpKind.DEQUANT) w = w.input(0);
        return w.op() == OpKind.PARAM ? w : null;
    }

    /** The shard of a reshape's result, when the cut axis survives it whole. */
    private static Shard reshaped(Node from, Node to, Shard s) {
        List<Dim> in = from.shape().dims(), out = to.shape().dims();
        long innerIn = 1;
        for (int i = s.axis + 1; i < in.size(); i++) {
            if (in.get(i).isSymbolic()) return null;
            innerIn *= in.get(i).size();
        }
        long span = in.get(s.axis).size() * innerIn;
        for (int bAxis = 0; bAxis < out.size(); bAxis++) {
            if (out.get(bAxis).isSymbolic()) continue;
            long innerOut = 1;
            boolean ok = true;
            for (int i = bAxis + 1; i < out.size(); i++) {
                if (out.get(i).isSymbolic()) { ok = false; break; }
                innerOut *= out.get(i).size();
            }
            if (!ok || out.get(bAxis).size() * innerOut != span) continue;
            if (!sameElements(in.subList(0, s.axis), out.subList(0, bAxis))) continue;
            long[] segs = new long[s.segs.length];
            for (int d = 0; d < segs.length; d++) {
                if (s.segs[d] * innerIn % innerOut != 0) { ok = false; break; }
                segs[d] = s.segs[d] * innerIn / innerOut;
            }
            if (ok) return new Shard(bAxis, segs);
        }
        return null;
    }

    private static boolean sameElements(List<Dim> a, List<Dim> b) {
        long pa = 1, pb = 1;
        List<String> sa = new ArrayList<>(), sb = new ArrayList<>();
        for (Dim d : a) if (d.isSymbolic()) sa.add(d.symbol()); else pa *= d.size();
        for (Dim d : b) if (d.isSymbolic()) sb.add(d.symbol()); else pb *= d.size();
        sa.sort(null);
        sb.sort(null);
        return pa == pb && sa.equals(sb);
    }

    // ---- materialization ---------------------------------------------------------------------------------

    private static int[] holders(long[] segs) {
        int c = 0;
        for (long s : segs) if (s > 0) c++;
        int[] r = new int[c];
        int i = 0;
        for (int d = 0; d < segs.length; d++) if (segs[d] > 0) r[i++] = d;
        return r;
    }

    /** {@code x} is whole: its operands whole; built on each device that needs it. */
    private void whole(Node x) {
        St[] want = new St[x.inputs().size()];
        Arrays.fill(want, WHOLE);
        state.put(x, WHOLE);
        wants.put(x, want);
    }

    /** {@code x} is a shard or partial: built now on each holding device (on one device only: a whole value living there). */
    private void emit(Node x, St out, St[] want) {
        long[] segs = out instanceof Shard sh ? sh.segs : ((Partial) out).share;
        int[] hs = holders(segs);
        if (hs.length == 1) {
            // held by one device only: a whole value living there
            state.put(x, WHOLE);
            home.put(x, hs[0]);
            wants.put(x, want);
            localWhole(x, hs[0]);
            return;
        }
        state.put(x, out);
        Node[] per = new Node[n];
        local.put(x, per);
        for (int d : hs) {
            List<Node> ins = new ArrayList<>();
            for (int i = 0; i < want.length; i++) ins.add(operand(x, i, want[i], d));
            Attrs attrs = x.attrs().with(Placement.DEVICE, (long) d)
                    .with(Placement.SPLIT, out instanceof Partial ? Placement.PARTIAL : shardText((Shard) out, d));
            TensorType declared = OpKind.DECLARED_TYPE.contains(x.op()) ? localType(x.type(), (Shard) out, d) : null;
            per[d] = b.add(x.op(), ins, attrs, declared);
        }
    }

    private String shardText(Shard s, int d) {
        long off = 0;
        for (int e = 0; e < d; e++) off += s.segs[e];
        long total = 0;
        for (long sg : s.segs) total += sg;
        return Placement.shard(s.axis, off, s.segs[d], total);
    }

    private static TensorType localType(TensorType t, Shard s, int d) {
        List<Dim> dims = new ArrayList<>(t.shape().dims());
        dims.set(s.axis, Dim.of(s.segs[d]));
        return new TensorType(new Shape(dims), t.dtype());
    }

    /** Operand {@code i} of {@code x} in state {@code want} on device {@code d}; weights cut as params of their slice. */
    private Node operand(Node x, int i, St want, int d) {
        Node v = x.input(i);
        if (want instanceof Shard sh && weightParam(v) != null && state.get(v) instanceof Whole) return slicedWeight(v, sh, d);
        if (want instanceof Shard sh && v.op() == OpKind.STATE && stateShards.get(v) != null) return slicedState(v, sh, d);
        return need(v, want, d);
    }

    private Node slicedWeight(Node w, Shard sh, int d) {
        boolean deq = w.op() == OpKind.DEQUANT;
        Node p = deq ? w.input(0) : w;
        if (sh.segs[d] == p.shape().dim(sh.axis).size()) return localWhole(w, d);
        long off = 0;
        for (int e = 0; e < d; e++) off += sh.segs[e];
        String name = Slices.name(p.name(), rank(p), sh.axis, off, sh.segs[d]);
        Slices.Slice already = Slices.parse(p.name());
        if (already != null && already.axis() == sh.axis) name = Slices.name(already.base(), rank(p), sh.axis, already.offset() + off, sh.segs[d]);
        String key = name + "@" + d;
        Node leaf = slicedLeaves.get(key);
        if (leaf == null) {
            leaf = b.add(OpKind.PARAM, List.of(), p.attrs().with("name", name).with(Placement.DEVICE, (long) d).with(Placement.SPLIT, shardText(sh, d)), localType(p.type(), sh, d));
            slicedLeaves.put(key, leaf);
        }
        if (!deq) return leaf;
        String dk = key + "#dequant";
        Node dq = slicedLeaves.get(dk);
        if (dq == null) {
            dq = b.add(OpKind.DEQUANT, List.of(leaf), w.attrs().with(Placement.DEVICE, (long) d).with(Placement.SPLIT, shardText(sh, d)), null);
            slicedLeaves.put(dk, dq);
        }
        return dq;
    }

    private Node slicedState(Node st, Shard sh, int d) {
        if (sh.segs[d] == st.shape().dim(sh.axis).size()) return localWhole(st, d);
        Node[] per = local.computeIfAbsent(st, k -> new Node[n]);
        if (per[d] == null) {
            long off = 0;
            for (int e = 0; e < d; e++) off += sh.segs[e];
            String name = Slices.name(st.name(), rank(st), sh.axis, off, sh.segs[d]);
            per[d] = b.add(OpKind.STATE, List.of(), st.attrs().with("name", name).with(Placement.DEVICE, (long) d).with(Placement.SPLIT, shardText(sh, d)), localType(st.type(), sh, d));
        }
        return per[d];
    }

    /** {@code v} in state {@code want} on device {@code d}, through a collective or a local slice where it is not. */
    private Node need(Node v, St want, int d) {
        St have = state.get(v);
        if (want instanceof Whole && v.op() == OpKind.KV_READ && !(have instanceof Whole)) return kvReplica(v, d);
        if (want instanceof Whole) {
            return switch (have) {
                case Whole w -> localWhole(v, d);
                case Shard s -> collective(gathered, v, d, OpKind.ALL_GATHER, Attrs.of("axis", (long) s.axis), holders(s.segs));
                case Partial p -> collective(reduced, v, d, OpKind.ALL_REDUCE, Attrs.of("reduce", reduce), holders(p.share));
            };
        }
        if (want instanceof Partial) {
            if (have instanceof Partial) return local.get(v)[d];
            throw new IllegalStateException("split: " + v + " is not a partial sum");
        }
        Shard s = (Shard) want;
        if (have instanceof Shard hs && hs.same(s)) return local.get(v)[d];
        // a local slice of the whole value: only along the last axis (split)
        Node whole = need(v, WHOLE, d);
        if (s.segs[d] == v.shape().dim(s.axis).size()) return whole;
        if (s.axis != rank(v) - 1) throw new IllegalStateException("split: cannot slice " + v + " along axis " + s.axis);
        long off = 0;
        for (int e = 0; e < d; e++) off += s.segs[e];
        return b.add(OpKind.SPLIT, List.of(whole), Attrs.of("offset", off, "size", s.segs[d], Placement.DEVICE, (long) d, Placement.SPLIT, shardText(s, d)), null);
    }

    private Node collective(Map<Node, Node[]> cache, Node v, int d, OpKind op, Attrs attrs, int[] from) {
        Node[] per = cache.computeIfAbsent(v, k -> new Node[n]);
        if (per[d] != null) return per[d];
        List<Node> parts = new ArrayList<>();
        for (int e : from) parts.add(local.get(v)[e]);
        per[d] = b.add(op, parts, attrs.with(Placement.DEVICE, (long) d), null);
        return per[d];
    }

    /**
     * A KV cache read on a device that does not hold it whole (Gemma 4's shared-KV layers reading an earlier layer's
     * cache): a replica of the cache there, kept current by the new rows of each step (a transfer or gather of
     * {@code [T, Hkv, Dh]}), never the cache's contents. The replica is a state of its own ({@code name@d}).
     */
    private Node kvReplica(Node read, int d) {
        Node write = read.input(0);
        if (write.op() != OpKind.KV_WRITE || write.input(0).op() != OpKind.STATE) {
            throw new IllegalStateException("split: " + read + " reads a cache that is not written in this step; it cannot be replicated on device " + d);
        }
        Node[] per = replicas.computeIfAbsent(write, k -> new Node[n]);
        if (per[d] == null) {
            Node cache = write.input(0);
            Node st = b.add(OpKind.STATE, List.of(), cache.attrs().with("name", cache.name() + "@" + d).with(Placement.DEVICE, (long) d), cache.type());
            per[d] = b.add(OpKind.KV_WRITE, List.of(st, need(write.input(1), WHOLE, d), localWhole(write.input(2), d)),
                    write.attrs().with(Placement.DEVICE, (long) d), null);
            replicaOutputs.put(cache.name() + "@" + d, per[d]);
        }
        return b.add(OpKind.KV_READ, List.of(per[d]), read.attrs().with(Placement.DEVICE, (long) d), read.type());
    }

    private final Map<Node, Node[]> replicas = new IdentityHashMap<>();
    private final Map<String, Node> replicaOutputs = new java.util.LinkedHashMap<>();

    /** The whole value {@code v} on device {@code d}: its copy there, built on first use (or moved from its home). */
    private Node localWhole(Node v, int d) {
        Node[] per = local.computeIfAbsent(v, k -> new Node[n]);
        if (per[d] != null) return per[d];
        // a cache's contents never travel: a device reading another's cache gets a replica fed with the new rows
        if (v.op() == OpKind.KV_READ && !v.op().isLeaf()) {
            int h = home.containsKey(v) ? home.get(v) : policy.home(v, layers);
            if (h >= 0 && h != d) {
                per[d] = kvReplica(v, d);
                return per[d];
            }
        }
        Node made;
        if (v.op().isLeaf() || weightExpr(v)) {
            if (!v.op().isLeaf()) {
                // a weight's dequant or reshape is computed where the weight is read, never transferred
                List<Node> ins = new ArrayList<>();
                for (Node in : v.inputs()) ins.add(localWhole(in, d));
                made = b.add(v.op(), ins, v.attrs().with(Placement.DEVICE, (long) d), OpKind.DECLARED_TYPE.contains(v.op()) ? v.type() : null);
                per[d] = made;
                return made;
            }
            Attrs a = v.attrs().with(Placement.DEVICE, (long) d);
            if (v.op() == OpKind.STATE && policy.replicatedStates()) a = a.with("name", v.name() + "@" + d);
            made = b.add(v.op(), List.of(), a, v.type());
        } else {
            int h = home.containsKey(v) ? home.get(v) : policy.home(v, layers);
            if (h >= 0 && h != d) {
                made = b.add(OpKind.TRANSFER, List.of(localWhole(v, h)), Attrs.of(Placement.DEVICE, (long) d), null);
            } else {
                St[] want = wants.get(v);
                List<Node> ins = new ArrayList<>();
                for (int i = 0; i < want.length; i++) ins.add(operand(v, i, want[i], d));
                made = b.add(v.op(), ins, v.attrs().with(Placement.DEVICE, (long) d), OpKind.DECLARED_TYPE.contains(v.op()) ? v.type() : null);
            }
        }
        per[d] = made;
        return made;
    }
}
