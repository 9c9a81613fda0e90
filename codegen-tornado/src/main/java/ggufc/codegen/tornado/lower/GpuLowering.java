package ggufc.codegen.tornado.lower;

import ggufc.codegen.tornado.kernels.AttentionKernels;
import ggufc.codegen.tornado.kernels.ElementKernels;
import ggufc.codegen.tornado.kernels.MatvecKernels;
import ggufc.codegen.tornado.kernels.MatvecKernels.Epilogue;
import ggufc.codegen.tornado.kernels.MoeKernels;
import ggufc.codegen.tornado.kernels.NormKernels;
import ggufc.codegen.tornado.kernels.RopeKernels;
import ggufc.codegen.tornado.kernels.SamplingKernels;
import ggufc.codegen.tornado.kernels.WeightFormat;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.lower.LaunchPlan.Arg;
import ggufc.codegen.tornado.lower.LaunchPlan.BufArg;
import ggufc.codegen.tornado.lower.LaunchPlan.BufferKind;
import ggufc.codegen.tornado.lower.LaunchPlan.BufferSpec;
import ggufc.codegen.tornado.lower.LaunchPlan.IntArg;
import ggufc.codegen.tornado.lower.LaunchPlan.Launch;
import ggufc.codegen.tornado.lower.LaunchPlan.When;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.IrException;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Instruction selection from a step graph to kernels: each graph op, or a pattern of ops that one
 * kernel computes, becomes launches of kernels from the families in {@code kernels}. Works on the
 * lifted graph (it recognises the patterns the fusion passes would make) and on fused graphs (it
 * implements the fused ops). The patterns, each a rule with its root:
 * <pre>
 *   mul(act(matmul(x, wg)), matmul(x, wu))         -> matvec with a GLU epilogue      (= glu_matmul)
 *   add(r, matmul(x, w))                            -> matvec with a residual epilogue (= matmul_add)
 *   attn_values(softmax(causal_mask(attn_scores(q, kv_read(k)), pos)), kv_read(v))
 *                                                   -> attention from the cache       (= attention)
 *   kv_write(state, rope(x, pos), pos)              -> rope into the cache row        (= rope_kv_write)
 *   matmul(x, dequant(w)), embed(dequant(w), ids)   -> kernels reading w's raw blocks
 * </pre>
 * Interior nodes of a pattern must have no other user. KV writes update their state in place.
 */
public final class GpuLowering {
    /** maxBatch: most tokens per step (longer prompts run in chunks); ctx: KV capacity. */
    public record Options(int maxBatch, int ctx) {
        public Options {
            if (maxBatch < 1 || ctx < 1) throw new IllegalArgumentException("maxBatch and ctx must be positive");
        }
    }

    private final Graph g;
    private final Options opt;
    private final Map<Node, Integer> uses;
    private final Map<Node, List<Node>> users = new IdentityHashMap<>();
    private final Set<Node> outputNodes = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Node, Match> roots = new IdentityHashMap<>();
    private final Set<Node> covered = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Node, Integer> bufOf = new IdentityHashMap<>();
    private final List<VBuf> vbufs = new ArrayList<>();
    private final Map<String, Kernel> kernels = new LinkedHashMap<>();
    private final List<Launch> launches = new ArrayList<>();
    private final Map<String, Integer> inputs = new LinkedHashMap<>(), states = new LinkedHashMap<>();

    private static final class VBuf {
        final int id;
        final BufferKind kind;
        final String source;
        final Extent elems;
        final int elemBytes;
        final DType dtype;
        final List<Double> constant;
        boolean pinned;

        VBuf(int id, BufferKind kind, String source, Extent elems, int elemBytes, DType dtype, List<Double> constant) {
            this.id = id;
            this.kind = kind;
            this.source = source;
            this.elems = elems;
            this.elemBytes = elemBytes;
            this.dtype = dtype;
            this.constant = constant;
        }
    }

    private sealed interface Match permits Glu, Residual, Attention, RopeKv, Multi {}

    /** Plain matmuls of one activation with weights of one format and width (q, k, v): one launch. */
    private record Multi(Node x, List<Node> matmuls) implements Match {}

    private record Glu(Node x, Node wg, Node wu, String act) implements Match {}

    private record Residual(Node x, Node w, Node r) implements Match {}

    private record Attention(Node q, Node k, Node v, Node pos, double scale, int window, double softcap) implements Match {}

    private record RopeKv(Node cache, Node x, Node pos, Node rope) implements Match {}

    private GpuLowering(Graph g, Options opt) {
        this.g = g;
        this.opt = opt;
        this.uses = g.useCounts();
        for (Node n : g.nodes()) for (Node in : n.inputs()) users.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        outputNodes.addAll(g.outputs().values());
    }

    public static LaunchPlan lower(Graph g, Options opt) {
        GpuLowering l = new GpuLowering(g, opt);
        l.match();
        // weights and constants first: they depend on nothing, and a multi-matvec launch reads weights declared after its first matmul
        for (Node n : g.nodes()) if (n.op() == OpKind.PARAM || n.op() == OpKind.CONSTANT) l.emit(n);
        for (Node n : g.nodes()) {
            if (l.covered.contains(n) || n.op() == OpKind.PARAM || n.op() == OpKind.CONSTANT) continue;
            try {
                l.emit(n);
            } catch (IrException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new IrException("lowering " + n + " for the GPU: " + e.getMessage());
            }
        }
        return l.finish();
    }

    // ---- pattern matching -----------------------------------------------------------------------

    private boolean single(Node n) { return uses.getOrDefault(n, 0) == 1 && !outputNodes.contains(n); }

    private void match() {
        for (Node n : g.nodes()) {
            switch (n.op()) {
                case MUL -> {
                    for (int side = 0; side < 2; side++) {
                        Node act = n.input(side), up = n.input(1 - side);
                        if ((act.op() == OpKind.SILU || act.op() == OpKind.GELU) && single(act) && act.input(0).op() == OpKind.MATMUL && single(act.input(0))
                                && up.op() == OpKind.MATMUL && single(up) && up != act.input(0) && act.input(0).input(0) == up.input(0)
                                && act.input(0).type().equals(up.type()) && sameFormat(act.input(0).input(1), up.input(1))) {
                            Node gate = act.input(0);
                            roots.put(n, new Glu(up.input(0), gate.input(1), up.input(1), act.op() == OpKind.SILU ? "silu" : "gelu"));
                            covered.addAll(List.of(act, gate, up));
                            break;
                        }
                    }
                }
                case ADD -> {
                    for (int side = 0; side < 2; side++) {
                        Node m = n.input(side), r = n.input(1 - side);
                        if (m.op() == OpKind.MATMUL && single(m) && !covered.contains(m) && r.type().equals(m.type())
                                && (m.input(0).dtype() == DType.F32 || m.input(0).dtype() == DType.Q8_0 || m.input(0).dtype() == DType.F16)) {
                            roots.put(n, new Residual(m.input(0), m.input(1), r));
                            covered.add(m);
                            break;
                        }
                    }
                }
                case ATTN_VALUES -> {
                    Node sm = n.input(0);
                    if (sm.op() != OpKind.SOFTMAX || !single(sm)) break;
                    Node cm = sm.input(0);
                    if (cm.op() != OpKind.CAUSAL_MASK || !single(cm)) break;
                    Node sc = cm.input(0);
                    // soft-capped scores (Gemma 2) are covered too
                    Node cap = sc.op() == OpKind.SOFTCAP && single(sc) ? sc : null;
                    if (cap != null) sc = cap.input(0);
                    if (sc.op() != OpKind.ATTN_SCORES || !single(sc)) break;
                    roots.put(n, new Attention(sc.input(0), sc.input(1), n.input(1), cm.input(1), sc.attrs().real("scale"), ggufc.ir.TypeRules.window(cm),
                            cap != null ? cap.attrs().real("cap") : 0));
                    covered.addAll(List.of(sm, cm, sc));
                    if (cap != null) covered.add(cap);
                }
                case KV_WRITE -> {
                    Node r = n.input(1);
                    if (r.op() == OpKind.ROPE && single(r) && r.input(1) == n.input(2)) {
                        roots.put(n, new RopeKv(n.input(0), r.input(0), n.input(2), r));
                        covered.add(r);
                    }
                }
                default -> {}
            }
        }
        // matmul(x, w1), matmul(x, w2), ... (same x, stored weights of one format and width) -> one multi-matvec launch at the first
        Map<List<Object>, List<Node>> groups = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            if (n.op() != OpKind.MATMUL || covered.contains(n) || roots.containsKey(n) || n.attrs().has(ggufc.ir.TypeRules.ACT_QUANT)) continue;
            Node w = n.input(1);
            boolean stored = w.op() == OpKind.PARAM || (w.op() == OpKind.DEQUANT && w.input(0).op() == OpKind.PARAM);
            DType xt = n.input(0).dtype();
            if (!stored || (xt != DType.F32 && xt != DType.Q8_0) || WeightFormat.of(weightDType(w)) == null) continue;
            groups.computeIfAbsent(List.of(n.input(0), weightDType(w), w.shape().dim(1)), key -> new ArrayList<>()).add(n);
        }
        for (List<Node> ms : groups.values()) {
            if (ms.size() < 2) continue;
            roots.put(ms.get(0), new Multi(ms.get(0).input(0), ms));
            for (Node m : ms.subList(1, ms.size())) covered.add(m);
        }
    }

    private boolean sameFormat(Node a, Node b) {
        return weightDType(a) == weightDType(b) && a.shape().equals(b.shape());
    }

    private static DType weightDType(Node w) {
        return w.op() == OpKind.DEQUANT && w.input(0).op() == OpKind.PARAM ? w.input(0).dtype() : w.dtype();
    }

    // ---- emission -------------------------------------------------------------------------------

    private void emit(Node n) {
        Match m = roots.get(n);
        if (m != null) {
            switch (m) {
                case Glu glu -> matvec(n, glu.x(), glu.wg(), glu.wu(), null, glu.act().equals("silu") ? Epilogue.GLU_SILU : Epilogue.GLU_GELU, temp(n), n.shape().last().size(), 0);
                case Residual res -> matvec(n, res.x(), res.w(), null, res.r(), Epilogue.RESIDUAL, temp(n), n.shape().last().size(), 0);
                case Attention att -> attention(n, att.q(), att.k(), att.v(), att.pos(), att.scale(), att.window(), att.softcap());
                case RopeKv rk -> ropeKv(n, rk.cache(), rk.x(), rk.pos(), rk.rope());
                case Multi mu -> multi(mu);
            }
            return;
        }
        switch (n.op()) {
            case INPUT -> {
                int id = vbuf(BufferKind.INPUT, n.name(), Extent.elements(n.shape()), 4, n.dtype(), null);
                bufOf.put(n, id);
                inputs.put(n.name(), id);
            }
            case PARAM -> bufOf.put(n, vbuf(BufferKind.PARAM, n.name(), Extent.of(n.shape().staticElements()), 0, n.dtype(), null));
            case STATE -> {
                int id = vbuf(BufferKind.STATE, n.name(), Extent.elements(n.shape()), n.dtype() == DType.F16 ? 2 : 4, n.dtype(), null);
                bufOf.put(n, id);
                states.put(n.name(), id);
            }
            case CONSTANT -> bufOf.put(n, vbuf(BufferKind.CONSTANT, null, Extent.elements(n.shape()), 4, n.dtype(), n.attrs().reals("values")));
            case RESHAPE -> bufOf.put(n, buf(n.input(0)));
            case KV_READ -> kvRead(n);
            case DEQUANT -> dequant(n);
            case MATMUL, MATMUL_ADD -> {
                ActIn a = activation(n, buf(n.input(0)), n.input(0).shape(), n.input(0).dtype(), n.input(1));
                matvecFrom(n, a.buffer(), n.input(0).shape(), n.input(1), null, n.op() == OpKind.MATMUL_ADD ? n.input(2) : null,
                        n.op() == OpKind.MATMUL_ADD ? Epilogue.RESIDUAL : Epilogue.NONE, temp(n), n.shape().last().size(), 0, a.q8());
            }
            case GLU_MATMUL -> {
                ActIn a = activation(n, buf(n.input(0)), n.input(0).shape(), n.input(0).dtype(), n.input(1));
                matvecFrom(n, a.buffer(), n.input(0).shape(), n.input(1), n.input(2), null, act(n), temp(n), n.shape().last().size(), 0, a.q8());
            }
            case NORM_GLU_MATMUL -> {
                int normed = normInto(n, n.input(0), n.input(1), n.attrs().real("eps"));
                ActIn a = activation(n, normed, n.input(0).shape(), DType.F32, n.input(2));
                matvecFrom(n, a.buffer(), n.input(0).shape(), n.input(2), n.input(3), null, act(n), temp(n), n.shape().last().size(), 0, a.q8());
            }
            case NORM_MATMUL -> {
                int normed = normInto(n, n.input(0), n.input(1), n.attrs().real("eps"));
                int out = temp(n);
                long total = n.shape().last().size(), off = 0;
                for (int i = 2; i < n.inputs().size(); i++) {
                    Node w = n.input(i);
                    ActIn a = activation(n, normed, n.input(0).shape(), DType.F32, w);
                    matvecFrom(n, a.buffer(), n.input(0).shape(), w, null, null, Epilogue.NONE, out, total, off, a.q8());
                    off += w.shape().dim(0).size();
                }
            }
            case RMS_NORM -> {
                Node x = n.input(0);
                int d = (int) x.shape().last().size();
                Extent rows = rows(x.shape());
                launch(NormKernels.rmsNorm(d, n.attrs().real("eps")), rows, Extent.ONE, List.of(b(buf(x)), b(buf(n.input(1))), b(temp(n))), When.ALWAYS, n,
                        rows.times(8L * d).plus(Extent.of(4L * d)));
            }
            case SOFTMAX -> {
                Dim last = n.shape().last();
                int d = last.isSymbolic() ? 0 : (int) last.size();
                Extent rows = rows(n.shape()), count = Extent.elements(n.shape());
                List<Arg> args = new ArrayList<>(List.of(b(buf(n.input(0))), b(temp(n))));
                if (d == 0) args.add(dimArg(last));
                launch(NormKernels.softmax(d, 1), rows, Extent.ONE, args, When.ALWAYS, n, count.times(8));
            }
            case ADD, MUL -> {
                Node a = n.input(0), bb = n.input(1);
                // b is a's shape (read element for element) or a static trailing part of it (broadcast)
                long bSize = bb.shape().equals(a.shape()) ? 0 : bb.shape().staticElements();
                Extent count = Extent.elements(n.shape());
                elementwise(ElementKernels.binary(n.op() == OpKind.ADD ? ElementKernels.Binary.ADD : ElementKernels.Binary.MUL, (int) bSize),
                        List.of(b(buf(a)), b(buf(bb)), b(temp(n))), count, n, count.times(12));
            }
            case SCALE, SILU, GELU, SOFTCAP -> {
                ElementKernels.Unary op = switch (n.op()) {
                    case SCALE -> ElementKernels.Unary.SCALE;
                    case SILU -> ElementKernels.Unary.SILU;
                    case SOFTCAP -> ElementKernels.Unary.SOFTCAP;
                    default -> ElementKernels.Unary.GELU;
                };
                double factor = n.op() == OpKind.SCALE ? n.attrs().real("factor") : n.op() == OpKind.SOFTCAP ? n.attrs().real("cap") : 0;
                Extent count = Extent.elements(n.shape());
                elementwise(ElementKernels.unary(op, factor), List.of(b(buf(n.input(0))), b(temp(n))), count, n, count.times(8));
            }
            case EMBED -> {
                WeightRef t = weight(n.input(0));
                int d = (int) n.shape().last().size();
                Extent count = Extent.elements(n.shape());
                elementwise(ElementKernels.embed(t.format(), d), List.of(b(t.buffer()), b(buf(n.input(1))), b(temp(n))), count, n,
                        count.times(4).plus(Extent.elements(n.input(1).shape()).times(4 + t.format().rowBytes(d))));
            }
            case LAST_ROW -> {
                Node x = n.input(0);
                int d = (int) x.shape().last().size();
                Extent row0 = rows(x.shape()).plus(Extent.of(-1));
                launch(ElementKernels.slice(d, 0, d, Elem.F32), Extent.of(d).ceilDiv(ElementKernels.GROUP), Extent.ONE,
                        List.of(b(buf(x)), b(temp(n)), new IntArg(row0), new IntArg(Extent.of(d))), When.ALWAYS, n, Extent.of(8L * d));
            }
            case SPLIT -> {
                Node x = n.input(0);
                int in = (int) x.shape().last().size(), size = (int) n.attrs().integer("size");
                Extent count = Extent.elements(n.shape());
                launch(ElementKernels.slice(in, (int) n.attrs().integer("offset"), size, Elem.F32), count.ceilDiv(ElementKernels.GROUP), Extent.ONE,
                        List.of(b(buf(x)), b(temp(n)), new IntArg(Extent.of(0)), new IntArg(count)), When.ALWAYS, n, count.times(8));
            }
            case ROPE -> {
                Node x = n.input(0);
                int h = (int) x.shape().dim(1).size(), dh = (int) x.shape().dim(2).size();
                Extent groups = rows(x.shape());
                List<LaunchPlan.Arg> args = new ArrayList<>(List.of(b(buf(x)), b(buf(n.input(1)))));
                Node ff = ggufc.ir.TypeRules.freqFactors(n);
                if (ff != null) args.add(b(buf(ff)));
                args.add(b(temp(n)));
                launch(RopeKernels.rope(h, dh, rope(n), null), groups, Extent.ONE, args, When.ALWAYS, n,
                        groups.times(8L * dh));
            }
            case ROPE_KV_WRITE -> ropeKv(n, n.input(0), n.input(1), n.input(2), n);
            case KV_WRITE -> {
                Node x = n.input(1);
                int h = (int) x.shape().dim(1).size(), dh = (int) x.shape().dim(2).size();
                int cache = inPlaceState(n, n.input(0));
                Extent groups = rows(x.shape());
                launch(RopeKernels.kvWrite(h, dh, elem(n.input(0).dtype())), groups, Extent.ONE, List.of(b(buf(x)), b(buf(n.input(2))), b(cache)), When.ALWAYS, n,
                        groups.times((4L + elem(n.input(0).dtype()).bytes()) * dh));
                bufOf.put(n, cache);
            }
            case ATTENTION -> attention(n, n.input(0), n.input(1), n.input(2), n.input(3), n.attrs().real("scale"), ggufc.ir.TypeRules.window(n), ggufc.ir.TypeRules.softcap(n));
            case ATTN_SCORES -> {
                Node q = n.input(0), k = n.input(1);
                Extent count = Extent.elements(n.shape());
                launch(ElementKernels.attnScores((int) q.shape().dim(1).size(), (int) k.shape().dim(1).size(), (int) q.shape().dim(2).size(), (float) n.attrs().real("scale")),
                        count.ceilDiv(ElementKernels.GROUP), Extent.ONE,
                        List.of(b(buf(q)), b(buf(k)), b(temp(n)), dimArg(q.shape().dim(0)), dimArg(k.shape().dim(0)), new IntArg(count)), When.ALWAYS, n,
                        count.times(4).plus(Extent.elements(q.shape()).times(4)).plus(Extent.elements(k.shape()).times(4)));
            }
            case CAUSAL_MASK -> {
                Node s = n.input(0);
                Extent count = Extent.elements(n.shape());
                launch(ElementKernels.causalMask(ggufc.ir.TypeRules.window(n)), count.ceilDiv(ElementKernels.GROUP), Extent.ONE,
                        List.of(b(buf(s)), b(buf(n.input(1))), b(temp(n)), dimArg(s.shape().dim(1)), dimArg(s.shape().dim(2)), new IntArg(count)), When.ALWAYS, n, count.times(8));
            }
            case ATTN_VALUES -> {
                Node p = n.input(0), v = n.input(1);
                Extent count = Extent.elements(n.shape());
                launch(ElementKernels.attnValues((int) p.shape().dim(0).size(), (int) v.shape().dim(1).size(), (int) v.shape().dim(2).size()),
                        count.ceilDiv(ElementKernels.GROUP), Extent.ONE,
                        List.of(b(buf(p)), b(buf(v)), b(temp(n)), dimArg(p.shape().dim(1)), dimArg(p.shape().dim(2)), new IntArg(count)), When.ALWAYS, n,
                        count.times(4).plus(Extent.elements(p.shape()).times(4)).plus(Extent.elements(v.shape()).times(4)));
            }
            case TOPK -> {
                Node x = n.input(0);
                Extent count = Extent.elements(n.shape());
                elementwise(MoeKernels.topk((int) x.shape().last().size(), (int) n.shape().last().size()), List.of(b(buf(x)), b(temp(n))), count, n,
                        Extent.elements(x.shape()).times(4).plus(count.times(4)));
            }
            case TAKE_ALONG -> {
                Node x = n.input(0);
                Extent count = Extent.elements(n.shape());
                elementwise(MoeKernels.takeAlong((int) x.shape().last().size(), (int) n.shape().last().size()), List.of(b(buf(x)), b(buf(n.input(1))), b(temp(n))), count, n,
                        count.times(12));
            }
            case SUM_NORMALIZE -> {
                Extent count = Extent.elements(n.shape());
                elementwise(MoeKernels.sumNormalize((int) n.shape().last().size(), n.attrs().real("min")), List.of(b(buf(n.input(0))), b(temp(n))), count, n, count.times(8));
            }
            case WEIGHTED_SUM -> {
                Node y = n.input(0);
                int slots = (int) y.shape().dim(1).size(), width = (int) y.shape().dim(2).size();
                Extent count = Extent.elements(n.shape());
                elementwise(MoeKernels.weightedSum(slots, width), List.of(b(buf(y)), b(buf(n.input(1))), b(temp(n))), count, n,
                        Extent.elements(y.shape()).times(4).plus(count.times(4)));
            }
            case MATMUL_ID -> matvecId(n);
            case QUANTIZE -> {
                Node x = n.input(0);
                Extent count = Extent.elements(n.shape());
                switch (n.dtype()) {
                    case Q8_0 -> {
                        int k = (int) x.shape().last().size();
                        Extent blocks = rows(x.shape()).times(k / 32);
                        launch(ElementKernels.quantizeQ8_0(k), blocks.ceilDiv(ElementKernels.GROUP), Extent.ONE, List.of(b(buf(x)), b(temp(n)), new IntArg(blocks)), When.ALWAYS, n,
                                count.times(4).plus(blocks.times(34)));
                    }
                    case F16 -> elementwise(ElementKernels.toHalf(), List.of(b(buf(x)), b(temp(n))), count, n, count.times(6));
                    default -> throw new IllegalArgumentException("quantizing activations to " + n.dtype().irName() + " has no GPU kernel (q8_0 and f16 have)");
                }
            }
        }
    }

    private Epilogue act(Node n) { return n.attrs().string("act").equals("silu") ? Epilogue.GLU_SILU : Epilogue.GLU_GELU; }

    private static RopeKernels.Rope rope(Node n) {
        return new RopeKernels.Rope(n.attrs().string("mode").equals("neox"), (int) n.attrs().integer("n_rot"), (float) n.attrs().real("freq_base"),
                (float) n.attrs().real("freq_scale"), ggufc.ir.TypeRules.freqFactors(n) != null);
    }

    private void ropeKv(Node n, Node cacheNode, Node x, Node pos, Node ropeNode) {
        int h = (int) x.shape().dim(1).size(), dh = (int) x.shape().dim(2).size();
        int cache = inPlaceState(n, cacheNode);
        Elem e = elem(cacheNode.dtype());
        Extent groups = rows(x.shape());
        List<LaunchPlan.Arg> args = new ArrayList<>(List.of(b(buf(x)), b(buf(pos))));
        Node ff = ggufc.ir.TypeRules.freqFactors(ropeNode);
        if (ff != null) args.add(b(buf(ff)));
        args.add(b(cache));
        launch(RopeKernels.rope(h, dh, rope(ropeNode), e), groups, Extent.ONE, args, When.ALWAYS, n,
                groups.times((4L + e.bytes()) * dh));
        bufOf.put(n, cache);
    }

    /** The state buffer a KV write may update in place: its cache operand must be a state nothing else reads. */
    private int inPlaceState(Node write, Node cacheNode) {
        if (cacheNode.op() != OpKind.STATE || uses.getOrDefault(cacheNode, 0) != 1) {
            throw new IllegalArgumentException("a KV write must update a state that nothing else reads (got " + cacheNode + " with "
                    + uses.getOrDefault(cacheNode, 0) + " users)");
        }
        return buf(cacheNode);
    }

    private void kvRead(Node n) {
        Node cache = n.input(0);
        boolean onlyAttention = users.getOrDefault(n, List.of()).stream().allMatch(u -> roots.get(u) instanceof Attention || covered.contains(u) || u.op() == OpKind.ATTENTION)
                && !outputNodes.contains(n);
        if (cache.dtype() == DType.F32 || onlyAttention) {
            bufOf.put(n, buf(cache));
            return;
        }
        int row = (int) (cache.shape().dim(1).size() * cache.shape().dim(2).size());
        Extent count = Extent.elements(n.shape());
        launch(ElementKernels.slice(row, 0, row, Elem.F16), count.ceilDiv(ElementKernels.GROUP), Extent.ONE,
                List.of(b(buf(cache)), b(temp(n)), new IntArg(Extent.of(0)), new IntArg(count)), When.ALWAYS, n, count.times(6));
    }

    private void dequant(Node n) {
        Node w = n.input(0);
        boolean weightOnly = !outputNodes.contains(n) && users.getOrDefault(n, List.of()).stream().allMatch(u -> consumesAsWeight(u, n));
        if (w.op() == OpKind.PARAM && weightOnly) return;
        WeightFormat f = format(w.dtype());
        int k = (int) w.shape().last().size();
        Extent count = Extent.elements(n.shape());
        launch(ElementKernels.dequant(f, k), count.ceilDiv(ElementKernels.GROUP), Extent.ONE, List.of(b(buf(w)), b(temp(n)), new IntArg(count)), When.ALWAYS, n,
                count.times(4).plus(Extent.elements(w.shape()).ceilDiv(1)));
    }

    /** Whether {@code user} reads {@code w} through a weight operand (raw blocks), never as f32 values. */
    private boolean consumesAsWeight(Node user, Node w) {
        if (covered.contains(user)) {
            // interior of a GLU pattern: its matmuls read operand 1 as a weight
            return user.op() == OpKind.MATMUL && user.input(0) != w;
        }
        return switch (user.op()) {
            case MATMUL, MATMUL_ADD -> user.input(0) != w && (user.op() != OpKind.MATMUL_ADD || user.input(2) != w);
            case MATMUL_ID -> user.input(1) == w && user.input(0) != w;
            case GLU_MATMUL -> user.input(0) != w;
            case NORM_MATMUL, NORM_GLU_MATMUL -> user.input(0) != w && user.input(1) != w;
            case EMBED -> user.input(0) == w && user.input(1) != w;
            default -> false;
        };
    }

    private record WeightRef(int buffer, WeightFormat format) {}

    private WeightRef weight(Node w) {
        Node src = w.op() == OpKind.DEQUANT && w.input(0).op() == OpKind.PARAM ? w.input(0) : w;
        if (src != w || w.op() == OpKind.PARAM) return new WeightRef(buf(src), format(src.dtype()));
        if (w.dtype() != DType.F32) throw new IllegalArgumentException("weight operand " + w + " is neither a param nor f32");
        return new WeightRef(buf(w), WeightFormat.F32);
    }

    private static WeightFormat format(DType t) {
        WeightFormat f = WeightFormat.of(t);
        if (f == null) throw new IllegalArgumentException(t.irName() + " weights have no GPU kernel yet (supported: " + WeightFormat.supported() + ")");
        return f;
    }

    private void matvec(Node n, Node x, Node w, Node w2, Node r, Epilogue epi, int out, long stride, long offset) {
        ActIn a = activation(n, buf(x), x.shape(), x.dtype(), w);
        matvecFrom(n, a.buffer(), x.shape(), w, w2, r, epi, out, stride, offset, a.q8());
    }

    private void matvecFrom(Node n, int xBuf, Shape xShape, Node w, Node w2, Node r, Epilogue epi, int out, long stride, long offset) {
        matvecFrom(n, xBuf, xShape, w, w2, r, epi, out, stride, offset, false);
    }

    private void matvecFrom(Node n, int xBuf, Shape xShape, Node w, Node w2, Node r, Epilogue epi, int out, long stride, long offset, boolean q8) {
        WeightRef wr = weight(w), wr2 = w2 == null ? null : weight(w2);
        int k = (int) w.shape().dim(1).size(), rowsN = (int) w.shape().dim(0).size();
        if (q8 && !wr.format().takesQ8Activations()) throw new IllegalArgumentException(wr.format() + " weights with q8_0 activations have no GPU kernel");
        Kernel kern = MatvecKernels.matvec(wr.format(), k, rowsN, epi, (int) stride, (int) offset, q8);
        List<Arg> args = new ArrayList<>();
        args.add(b(wr.buffer()));
        if (wr2 != null) args.add(b(wr2.buffer()));
        args.add(b(xBuf));
        if (r != null) args.add(b(buf(r)));
        args.add(b(out));
        Extent rows = rows(xShape);
        long weightBytes = wr.format().rowBytes(k) * rowsN * (w2 == null ? 1 : 2);
        Extent bytes = Extent.of(weightBytes).plus(rows.times(4L * k)).plus(rows.times(4L * rowsN * (r == null ? 1 : 2)));
        launch(kern, Extent.of(rowsN), rows, args, When.ALWAYS, n, bytes);
    }

    /** The activation a matmul-family op reads: its buffer, and whether it holds Q8_0 blocks. */
    private record ActIn(int buffer, boolean q8) {}

    private final Map<String, Integer> roundedActivations = new LinkedHashMap<>();

    /**
     * The activation for weight {@code w} of op {@code n}: as given, or with {@code act_quant} rounded
     * to the weight's vec_dot_type (TypeRules.activationTypeFor): Q8_0 blocks for Q4_0/Q5_0/Q8_0
     * weights (read by the integer-dot matvec), f16 rounding for F16 weights. One rounding per
     * activation and type, shared by the op's weights.
     */
    private ActIn activation(Node n, int xBuf, Shape xShape, DType xType, Node w) {
        if (xType == DType.Q8_0) return new ActIn(xBuf, true);
        if (xType == DType.F16) {
            // f16 activations (quantize to f16 in front): widened once to f32, the f16 weights' kernels read f32 activations
            int k = (int) xShape.last().size();
            Extent count = Extent.elements(xShape);
            return new ActIn(roundedActivations.computeIfAbsent(xBuf + ":widen", key -> {
                int f = vbuf(BufferKind.TEMP, null, count, 4, DType.F32, null);
                launch(ElementKernels.dequant(WeightFormat.F16, k), count.ceilDiv(ElementKernels.GROUP), Extent.ONE, List.of(b(xBuf), b(f), new IntArg(count)), When.ALWAYS, n,
                        count.times(6));
                return f;
            }), false);
        }
        if (xType != DType.F32) throw new IllegalArgumentException("matmul activations must be f32, f16 or q8_0 on GPU targets, got " + xType.irName());
        if (!(n.attrs().get(ggufc.ir.TypeRules.ACT_QUANT) instanceof Boolean on && on)) return new ActIn(xBuf, false);
        DType to = ggufc.ir.TypeRules.activationTypeFor(weightDType(w));
        if (to == null) return new ActIn(xBuf, false);
        int k = (int) xShape.last().size();
        Extent rows = rows(xShape), count = Extent.elements(xShape);
        return switch (to) {
            case Q8_0 -> new ActIn(roundedActivations.computeIfAbsent(xBuf + ":q8_0", key -> {
                int q = vbuf(BufferKind.TEMP, null, rows.times(k / 32 * 34), 1, DType.Q8_0, null);
                Extent blocks = rows.times(k / 32);
                launch(ElementKernels.quantizeQ8_0(k), blocks.ceilDiv(ElementKernels.GROUP), Extent.ONE, List.of(b(xBuf), b(q), new IntArg(blocks)), When.ALWAYS, n,
                        count.times(4).plus(blocks.times(34)));
                return q;
            }), true);
            case F16 -> new ActIn(roundedActivations.computeIfAbsent(xBuf + ":f16", key -> {
                int h = vbuf(BufferKind.TEMP, null, count, 2, DType.F16, null), f = vbuf(BufferKind.TEMP, null, count, 4, DType.F32, null);
                elementwise(ElementKernels.toHalf(), List.of(b(xBuf), b(h)), count, n, count.times(6));
                launch(ElementKernels.dequant(WeightFormat.F16, k), count.ceilDiv(ElementKernels.GROUP), Extent.ONE, List.of(b(h), b(f), new IntArg(count)), When.ALWAYS, n,
                        count.times(6));
                return f;
            }), false);
            default -> throw new IllegalArgumentException(n.op().irName() + " with act_quant rounds activations to " + to.irName() + ", which has no GPU kernel (q8_0 and f16 have)");
        };
    }

    /** matmul_id: the expert matvec over each token's selected experts (grid (M, T * K)), reading the stacked weight's raw blocks. */
    private void matvecId(Node n) {
        Node x = n.input(0), w = n.input(1), ids = n.input(2), sc = n.inputs().size() > 3 ? n.input(3) : null;
        ActIn a = activation(n, buf(x), x.shape(), x.dtype(), w);
        WeightRef wr = weight(w);
        int m = (int) w.shape().dim(1).size(), k = (int) w.shape().dim(2).size();
        int slots = (int) ids.shape().dim(1).size();
        if (a.q8() && !wr.format().takesQ8Activations()) throw new IllegalArgumentException(wr.format() + " weights with q8_0 activations have no GPU kernel");
        List<Arg> args = new ArrayList<>(List.of(b(wr.buffer()), b(a.buffer()), b(buf(ids))));
        if (sc != null) args.add(b(buf(sc)));
        args.add(b(temp(n)));
        Extent slotRows = rows(ids.shape()).times(slots);
        // each slot reads one expert's M rows
        Extent bytes = slotRows.times(wr.format().rowBytes(k) * m).plus(rows(x.shape()).times(4L * k)).plus(slotRows.times(4L * m));
        launch(MoeKernels.matvecId(wr.format(), k, m, slots, x.shape().rank() == 3, sc != null, a.q8()), Extent.of(m), slotRows, args, When.ALWAYS, n, bytes);
    }

    private void multi(Multi mu) {
        Node x = mu.x(), first = mu.matmuls().get(0);
        boolean q8 = x.dtype() == DType.Q8_0;
        WeightFormat f = format(weightDType(first.input(1)));
        int k = (int) first.input(1).shape().dim(1).size();
        int[] ns = new int[mu.matmuls().size()];
        List<Arg> args = new ArrayList<>();
        long weightBytes = 0;
        for (int i = 0; i < ns.length; i++) {
            Node m = mu.matmuls().get(i);
            ns[i] = (int) m.input(1).shape().dim(0).size();
            args.add(b(weight(m.input(1)).buffer()));
            weightBytes += f.rowBytes(k) * ns[i];
        }
        args.add(b(buf(x)));
        for (Node m : mu.matmuls()) args.add(b(temp(m)));
        Extent rows = rows(x.shape());
        long total = java.util.Arrays.stream(ns).sum();
        launch(MatvecKernels.multi(f, k, ns, q8), Extent.of(total), rows, args, When.ALWAYS, first,
                Extent.of(weightBytes).plus(rows.times(4L * k)).plus(rows.times(4L * total)));
    }

    private int normInto(Node n, Node x, Node w, double eps) {
        int d = (int) x.shape().last().size();
        int normed = vbuf(BufferKind.TEMP, null, Extent.elements(x.shape()), 4, DType.F32, null);
        Extent rows = rows(x.shape());
        launch(NormKernels.rmsNorm(d, eps), rows, Extent.ONE, List.of(b(buf(x)), b(buf(w)), b(normed)), When.ALWAYS, n, rows.times(8L * d).plus(Extent.of(4L * d)));
        return normed;
    }

    private void attention(Node n, Node q, Node k, Node v, Node pos, double scale, int window, double softcap) {
        int h = (int) q.shape().dim(1).size(), dh = (int) q.shape().dim(2).size(), hkv = (int) k.shape().dim(1).size();
        int kb = cacheOf(k), vb = cacheOf(v);
        Elem e = cacheElem(k);
        if (cacheElem(v) != e) throw new IllegalArgumentException("k and v caches have different element types");
        var shape = new AttentionKernels.Shape(h, hkv, dh, (float) scale, e, window, (float) softcap);
        int out = temp(n);
        Extent t = dimExtent(q.shape().dim(0)), l = dimExtent(k.shape().dim(0));
        Extent bytes = t.times(8L * h * dh).plus(l.times(2L * hkv * dh * e.bytes()));
        launch(AttentionKernels.decode(shape), Extent.of(h), t, List.of(b(kbOrQ(q)), b(kb), b(vb), b(buf(pos)), b(out), new IntArg(l)), When.DECODE, n, bytes);
        launch(AttentionKernels.prompt(shape), Extent.of(h), t.ceilDiv(16), List.of(b(kbOrQ(q)), b(kb), b(vb), b(buf(pos)), b(out), new IntArg(t), new IntArg(l)),
                When.PROMPT, n, bytes);
    }

    private int kbOrQ(Node q) { return buf(q); }

    /** The buffer attention reads keys or values from: the cache itself for a KV_READ, else the f32 tensor. */
    private int cacheOf(Node kv) { return kv.op() == OpKind.KV_READ ? buf(kv.input(0)) : buf(kv); }

    private Elem cacheElem(Node kv) { return kv.op() == OpKind.KV_READ ? elem(kv.input(0).dtype()) : Elem.F32; }

    private static Elem elem(DType t) {
        return switch (t) {
            case F32 -> Elem.F32;
            case F16 -> Elem.F16;
            default -> throw new IllegalArgumentException("KV caches of " + t.irName() + " have no GPU kernel (f32 or f16)");
        };
    }

    private void elementwise(Kernel k, List<Arg> bufArgs, Extent count, Node n, Extent bytes) {
        List<Arg> args = new ArrayList<>(bufArgs);
        int scalars = k.params().size() - bufArgs.size();
        if (scalars == 1) args.add(new IntArg(count));
        launch(k, count.ceilDiv(ElementKernels.GROUP), Extent.ONE, args, When.ALWAYS, n, bytes);
    }

    // ---- buffers and launches ---------------------------------------------------------------------

    private static Extent rows(Shape s) {
        if (s.rank() < 2) return Extent.ONE;
        return Extent.elements(new Shape(s.dims().subList(0, s.rank() - 1)));
    }

    private static Extent dimExtent(Dim d) {
        if (!d.isSymbolic()) return Extent.of(d.size());
        return switch (d.symbol()) {
            case "T" -> Extent.T;
            case "L" -> Extent.L;
            default -> throw new IllegalArgumentException("symbol " + d.symbol() + " (GPU targets know T and L)");
        };
    }

    private static IntArg dimArg(Dim d) { return new IntArg(dimExtent(d)); }

    private static BufArg b(int id) { return new BufArg(id); }

    private int buf(Node n) {
        Integer id = bufOf.get(n);
        if (id == null) throw new IllegalStateException("no buffer for " + n + " (lowered out of order?)");
        return id;
    }

    private int temp(Node n) {
        int id = switch (n.dtype()) {
            case Q8_0 -> vbuf(BufferKind.TEMP, null, rows(n.shape()).times(n.shape().last().size() / 32 * 34), 1, n.dtype(), null);
            case F16 -> vbuf(BufferKind.TEMP, null, Extent.elements(n.shape()), 2, n.dtype(), null);
            default -> vbuf(BufferKind.TEMP, null, Extent.elements(n.shape()), 4, n.dtype(), null);
        };
        bufOf.put(n, id);
        return id;
    }

    private int vbuf(BufferKind kind, String source, Extent elems, int elemBytes, DType dtype, List<Double> constant) {
        VBuf v = new VBuf(vbufs.size(), kind, source, elems, elemBytes, dtype, constant);
        vbufs.add(v);
        return v.id;
    }

    private void launch(Kernel k, Extent g0, Extent g1, List<Arg> args, When when, Node n, Extent bytes) {
        Kernel prev = kernels.putIfAbsent(k.name(), k);
        if (prev != null && !prev.equals(k)) throw new IllegalStateException("two different kernels named " + k.name());
        if (args.size() != k.params().size()) throw new IllegalStateException(k.name() + ": " + args.size() + " arguments for " + k.params().size() + " parameters");
        launches.add(new Launch(k.name(), g0, g1, args, when, "%" + n.id() + " " + n.op().irName(), bytes));
    }

    // ---- outputs, liveness, physical buffers -----------------------------------------------------------

    private LaunchPlan finish() {
        Map<String, Integer> outs = new LinkedHashMap<>();
        for (var e : g.outputs().entrySet()) {
            int id = buf(e.getValue());
            Integer state = states.get(e.getKey());
            if (state != null && state != id) {
                Node s = e.getValue();
                if (s.dtype() != DType.F32 || vbufs.get(state).dtype != DType.F32) throw new IllegalArgumentException("state \"" + e.getKey() + "\" is written back from a value that is not its in-place update");
                int row = (int) s.shape().last().size();
                Extent count = Extent.elements(s.shape());
                launch(ElementKernels.slice(row, 0, row, Elem.F32), count.ceilDiv(ElementKernels.GROUP), Extent.ONE,
                        List.of(b(id), b(state), new IntArg(Extent.of(0)), new IntArg(count)), When.ALWAYS, s, count.times(8));
            }
            vbufs.get(id).pinned = true;
            outs.put(e.getKey(), id);
        }
        Launch argmax = null;
        int argmaxOut = -1;
        Node logits = g.outputs().get("logits");
        if (logits != null && logits.dtype() == DType.F32 && logits.shape().rank() == 2 && logits.shape().dim(0).equals(Dim.of(1))) {
            int v = (int) logits.shape().last().size();
            argmaxOut = vbuf(BufferKind.TEMP, null, Extent.ONE, 4, DType.I32, null);
            vbufs.get(argmaxOut).pinned = true;
            Kernel k = SamplingKernels.argmax(v);
            kernels.putIfAbsent(k.name(), k);
            argmax = new Launch(k.name(), Extent.ONE, Extent.ONE, List.of(b(buf(logits)), b(argmaxOut)), When.ALWAYS, "argmax of logits", Extent.of(4L * v));
        }

        // liveness of temporaries over the launch sequence (argmax last)
        List<Launch> all = new ArrayList<>(launches);
        if (argmax != null) all.add(argmax);
        int[] first = new int[vbufs.size()], last = new int[vbufs.size()];
        java.util.Arrays.fill(first, -1);
        for (int i = 0; i < all.size(); i++) {
            for (Arg a : all.get(i).args()) {
                if (a instanceof BufArg ba) {
                    if (first[ba.buffer()] < 0) first[ba.buffer()] = i;
                    last[ba.buffer()] = i;
                }
            }
        }
        int[] phys = new int[vbufs.size()];
        List<BufferSpec> specs = new ArrayList<>();
        List<long[]> freeTemps = new ArrayList<>(); // {physical id, bytes}
        Map<Integer, Long> tempBytes = new LinkedHashMap<>();
        java.util.Arrays.fill(phys, -1);
        for (VBuf v : vbufs) {
            if (v.kind == BufferKind.TEMP) continue;
            long bytes = v.kind == BufferKind.PARAM ? v.dtype.bytesFor(v.elems.eval(0, 0)) : v.elems.eval(opt.maxBatch(), opt.ctx()) * v.elemBytes;
            phys[v.id] = specs.size();
            specs.add(new BufferSpec(specs.size(), v.kind, v.source, bytes, v.dtype, v.constant));
        }
        for (int i = 0; i < all.size(); i++) {
            for (VBuf v : vbufs) {
                if (v.kind != BufferKind.TEMP || first[v.id] != i) continue;
                long need = Math.max(4, v.elems.eval(opt.maxBatch(), opt.ctx()) * v.elemBytes);
                long[] best = null;
                for (long[] f : freeTemps) if (f[1] >= need && (best == null || f[1] < best[1])) best = f;
                if (best != null) {
                    freeTemps.remove(best);
                    phys[v.id] = (int) best[0];
                } else {
                    phys[v.id] = specs.size() + tempBytes.size();
                    tempBytes.put(phys[v.id], need);
                }
            }
            for (VBuf v : vbufs) {
                if (v.kind == BufferKind.TEMP && first[v.id] >= 0 && last[v.id] == i && !v.pinned) freeTemps.add(new long[] {phys[v.id], tempBytes.get(phys[v.id])});
            }
        }
        for (var e : tempBytes.entrySet()) specs.add(new BufferSpec(e.getKey(), BufferKind.TEMP, null, e.getValue(), null, null));
        for (VBuf v : vbufs) {
            if (v.kind == BufferKind.TEMP && first[v.id] < 0 && v.pinned) throw new IllegalStateException("output buffer never written");
        }
        List<Launch> mapped = new ArrayList<>();
        for (Launch l : launches) mapped.add(remap(l, phys));
        Map<String, Integer> ins = remap(inputs, phys), outsP = remap(outs, phys), st = remap(states, phys);
        return new LaunchPlan(g.name(), List.copyOf(kernels.values()), specs, mapped, ins, outsP, st, argmax == null ? null : remap(argmax, phys),
                argmaxOut < 0 ? -1 : phys[argmaxOut], opt.maxBatch(), opt.ctx());
    }

    private static Launch remap(Launch l, int[] phys) {
        List<Arg> args = new ArrayList<>();
        for (Arg a : l.args()) args.add(a instanceof BufArg ba ? new BufArg(phys[ba.buffer()]) : a);
        return new Launch(l.kernel(), l.groups0(), l.groups1(), args, l.when(), l.node(), l.bytes());
    }

    private static Map<String, Integer> remap(Map<String, Integer> m, int[] phys) {
        Map<String, Integer> r = new LinkedHashMap<>();
        for (var e : m.entrySet()) r.put(e.getKey(), phys[e.getValue()]);
        return r;
    }
}
