package ggufc.passes.sim;

import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.passes.analysis.StepCost;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Predicts prompt and decode tokens/s of a model graph on a list of devices joined by a link, per split mode,
 * from the graph's per-kernel bytes and FLOPs ({@link StepCost#kernels}) and the {@link DeviceCatalog}.
 *
 * <p><b>Kernel time</b>: a roofline, {@code max(bytes / (BW · e_bw), flops / (TFLOPS · e_c)) + overhead}: the
 * kernel counts as memory time when the first term is larger, else as compute time; the per-kernel overhead
 * (the catalog's {@code kernel_us}) counts as compute. {@code e_bw} = 0.83 is SPLIT-MODES §2.2's measured over
 * peak bandwidth (Strix Halo 212/256, M1 Max 340/409.6); {@code e_c} is calibrated once, on llama 3.2 1B F16,
 * 4× RTX 4090, {@code -sm layer} pp512 = 44,766 t/s (PR #19378), and then held for every other row.
 *
 * <p><b>Collectives</b>: an all-reduce of B bytes over n devices costs {@code α(n) + 2(n−1)/n · B / BW} (ring), an
 * all-gather {@code α(n) + (n−1)/n · B / BW}, a copy {@code α(2) + B / BW}, with the link's BW and
 * {@code α(n) = α · ⌈log2 n⌉ / 3}: the catalog's α is an 8-GPU NCCL all-reduce, 3 butterfly steps.
 *
 * <p><b>Modes.</b> When the graph is placed (its nodes carry {@code device}), each device runs the kernels of its
 * nodes and the collectives are the graph's {@code all_reduce}, {@code all_gather} and {@code transfer} nodes (the
 * nodes of one all-reduce group, sharing their operand list, are one collective). An unplaced graph is split
 * analytically: <i>none</i>: everything on device 0; <i>layer</i>: contiguous layers by the proportions, the
 * output on the last device, one activation copy per device boundary, the devices one after another, for a
 * prompt's micro-batches too unless {@link Workload#pipeline} overlaps those of one batch across the devices
 * (llama.cpp's pipeline parallelism; off by default: PR #19378's llama 1B layer row gains only 1.13× from pp512
 * to pp8192, where overlapping 4 micro-batches per 2048-token batch on 4 devices would give 2.3×); <i>tensor</i> (llama.cpp's
 * meta backend) and <i>graph</i> (ik_llama.cpp): every kernel that reads a weight matrix or works per head or
 * on FFN columns is cut by the proportions, the residual-stream kernels run whole on every device, two
 * all-reduces per layer of {@code T · n_embd} values (f32 for tensor, f16 for graph) and one all-gather of the
 * logits; <i>row</i> (llama.cpp's old split buffers): the dense weight matrices cut by rows, each with its input
 * broadcast from and its output gathered on the main device, which runs everything else.
 *
 * <p>Workload as llama-bench: the prompt test is {@code pp} tokens at {@code depth} in micro-batches of
 * {@code ubatch} (512); the decode test {@code tg} tokens from {@code depth}, costed at the mean context
 * {@code depth + tg/2}.
 */
public final class Simulator {
    public enum Mode {
        NONE, LAYER, ROW, TENSOR, GRAPH;

        public String id() { return name().toLowerCase(Locale.ROOT); }

        public static Mode byId(String s) {
            for (Mode m : values()) if (m.id().equals(s.toLowerCase(Locale.ROOT))) return m;
            throw new IllegalArgumentException("unknown split mode '" + s + "' (known: none, layer, row, tensor, graph, all)");
        }
    }

    /** llama-bench's test: {@code pp} prompt tokens, {@code tg} generated tokens, at {@code depth} tokens of context. */
    public record Workload(int pp, int tg, int depth, int ubatch, int batch, boolean pipeline) {
        public Workload {
            if (pp < 0 || tg < 0 || depth < 0 || ubatch < 1 || batch < ubatch) {
                throw new IllegalArgumentException("workload out of range: pp " + pp + ", tg " + tg + ", depth " + depth + ", ubatch " + ubatch + ", batch " + batch);
            }
        }

        /** Micro-batches one after another (no pipelining), batches of 2048 (llama.cpp's n_batch). */
        public Workload(int pp, int tg, int depth, int ubatch) { this(pp, tg, depth, ubatch, Math.max(2048, ubatch), false); }
    }

    /** Seconds of compute, memory and communication time. */
    public record Split(double compute, double memory, double communication) {
        public double total() { return compute + memory + communication; }
        Split plus(Split o) { return new Split(compute + o.compute, memory + o.memory, communication + o.communication); }
        Split times(double f) { return new Split(compute * f, memory * f, communication * f); }
    }

    /** Efficiency factors of the roofline. */
    public record Calibration(double bandwidthEfficiency, double computeEfficiency) {}

    /**
     * e_bw 0.83 from SPLIT-MODES §2.2's measured/peak bandwidth rows; e_c fitted once (see the class comment and
     * {@code SimulateCliTest.calibrationRowIsReproduced}): the llama 3.2 1B F16 4× RTX 4090 layer pp512 row.
     */
    public static final Calibration DEFAULT = new Calibration(0.83, 0.572);

    /** One mode's prediction; {@code note} says what was assumed or why the mode does not apply (then the rates are 0). */
    public record Result(Mode mode, double promptTps, double decodeTps, Split prompt, Split decode, int allReducesPerDecodeStep,
                         boolean placed, String note) {}

    private final Graph g;
    private final List<DeviceCatalog.Device> devices;
    private final DeviceCatalog.Link link;
    private final double[] share;
    private final Calibration cal;
    private final long nEmbd, nVocab;
    private final int nLayer, nHeadKv;
    private final boolean placed;

    private static final Pattern LAYER = Pattern.compile("^blk\\.(\\d+)\\.");
    private static final Set<String> COLLECTIVES = Set.of("all_reduce", "all_gather", "transfer");

    /**
     * @param g          the model's graph, unplaced (one device; modes split it analytically) or placed by a split pass
     * @param proportions the share of each device ({@code --tensor-split}), or null for equal shares
     */
    public Simulator(Graph g, List<DeviceCatalog.Device> devices, DeviceCatalog.Link link, double[] proportions, Calibration cal) {
        if (devices.isEmpty()) throw new IllegalArgumentException("no devices");
        this.g = g;
        this.devices = List.copyOf(devices);
        this.link = link;
        this.cal = cal;
        int n = devices.size();
        if (proportions != null && proportions.length != n) {
            throw new IllegalArgumentException("--tensor-split has " + proportions.length + " proportions for " + n + " devices");
        }
        share = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            share[i] = proportions == null ? 1 : proportions[i];
            if (!(share[i] >= 0)) throw new IllegalArgumentException("--tensor-split proportions must be >= 0");
            sum += share[i];
        }
        if (!(sum > 0)) throw new IllegalArgumentException("--tensor-split proportions sum to 0");
        for (int i = 0; i < n; i++) share[i] /= sum;
        long embd = 0, vocab = 0;
        int layers = 0;
        boolean anyDevice = false;
        for (Node p : g.nodes()) {
            anyDevice |= p.attrs().has("device");
            if (p.op() != OpKind.PARAM) continue;
            String name = baseName(p.attrs().string("name"));
            if (name.equals("token_embd.weight")) {
                vocab = p.shape().dim(0).size();
                embd = p.shape().last().size();
            }
            Matcher m = LAYER.matcher(name);
            if (m.find()) layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
        }
        if (embd == 0) throw new IllegalArgumentException("the graph has no token_embd.weight param");
        nEmbd = embd;
        nVocab = vocab;
        nLayer = layers;
        int kv = Integer.MAX_VALUE;
        for (Node s : g.states()) if (s.shape().rank() == 3 && !s.shape().dim(1).isSymbolic()) kv = (int) Math.min(kv, s.shape().dim(1).size());
        nHeadKv = kv; // no KV cache: no head constraint
        placed = anyDevice;
    }

    /** {@code blk.0.attn_q.weight[0:32,:]} (a shard) is {@code blk.0.attn_q.weight}. */
    static String baseName(String s) {
        int b = s.indexOf('[');
        return b < 0 ? s : s.substring(0, b);
    }

    public boolean placed() { return placed; }

    public int layers() { return nLayer; }

    /** A kernel with what the analytic splits need. */
    private record K(StepCost.Kernel k, int layer, boolean sharded, boolean split3d, List<long[]> matrices, long tokens) {}

    private List<K> kernels(long t, long l) {
        Map<String, Long> sym = new HashMap<>();
        sym.put("T", t);
        sym.put("L", l);
        List<K> r = new ArrayList<>();
        int layer = -1;
        for (StepCost.Kernel k : StepCost.kernels(g, sym)) {
            if (COLLECTIVES.contains(k.head().op().irName())) continue;
            List<long[]> mats = new ArrayList<>();
            boolean embed = false, moe = false, wide = false;
            for (Node n : k.nodes()) {
                embed |= n.op() == OpKind.EMBED;
                moe |= n.op() == OpKind.MATMUL_ID;
                if (n.shape().rank() >= 3 || n.shape().rank() >= 1 && !n.shape().last().isSymbolic() && n.shape().last().size() != nEmbd) wide = true;
                for (int i = 0; i < n.inputs().size(); i++) {
                    Node in = n.input(i);
                    while (in.op() == OpKind.RESHAPE || in.op() == OpKind.DEQUANT) in = in.input(0);
                    if (in.op() != OpKind.PARAM) continue;
                    Matcher m = LAYER.matcher(baseName(in.attrs().string("name")));
                    if (m.find()) layer = Integer.parseInt(m.group(1));
                    else if (!embed && layer >= 0) layer = Math.max(layer, nLayer); // output norm and head
                    if (n.op() != OpKind.EMBED && in.shape().rank() == 2 && (n.op() != OpKind.MUL && n.op() != OpKind.ADD)) {
                        mats.add(new long[] {in.shape().dim(0).size(), in.shape().dim(1).size()});
                    }
                }
            }
            boolean sharded = !embed && (!mats.isEmpty() || moe || wide);
            r.add(new K(windowed(k, t, l), Math.max(layer, embed ? -1 : layer), sharded, moe, mats, t));
        }
        return r;
    }

    /**
     * StepCost counts every key of a sliding-window layer's attention; the GPU kernels (llama.cpp's flash attention
     * with its SWA cache) touch only the window: such a kernel's bytes and FLOPs are scaled by (window + T) / L.
     */
    static StepCost.Kernel windowed(StepCost.Kernel k, long t, long l) {
        long window = 0;
        boolean attention = false;
        for (Node n : k.nodes()) {
            if (n.op() == OpKind.ATTENTION || n.op() == OpKind.CAUSAL_MASK || n.op() == OpKind.ATTN_SCORES) {
                attention = true;
                window = Math.max(window, ggufc.ir.TypeRules.window(n));
            }
        }
        if (!attention || window <= 0 || window + t >= l) return k;
        double f = (double) (window + t) / l;
        return new StepCost.Kernel(k.head(), k.nodes(), (long) (k.bytes() * f), (long) (k.weightBytes() * f), (long) (k.flops() * f));
    }

    private Split kernelTime(StepCost.Kernel k, double fraction, DeviceCatalog.Device d) {
        double mem = k.bytes() * fraction / (d.bandwidthGbs() * 1e9 * cal.bandwidthEfficiency());
        double cmp = k.flops() * fraction / (d.tflops() * 1e12 * cal.computeEfficiency());
        double over = d.kernelUs() * 1e-6;
        return mem >= cmp ? new Split(over, mem, 0) : new Split(cmp + over, 0, 0);
    }

    private static final Split ZERO = new Split(0, 0, 0);

    /**
     * Latency of one collective over the devices: the catalog's α is an 8-GPU all-reduce (nccl#1530, nccl#1439), i.e.
     * ⌈log2 8⌉ = 3 butterfly steps (SPLIT-MODES §1: llama.cpp reduces over ⌈log2 n⌉ steps); n devices take ⌈log2 n⌉.
     */
    double alpha() {
        int n = devices.size(), steps = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
        return link.alphaUs() * 1e-6 * Math.max(1, steps) / 3;
    }

    private double allReduce(double bytes) {
        int n = devices.size();
        return alpha() + 2.0 * (n - 1) / n * bytes / (link.bandwidthGbs() * 1e9);
    }

    private double allGather(double bytes) {
        int n = devices.size();
        return alpha() + (double) (n - 1) / n * bytes / (link.bandwidthGbs() * 1e9);
    }

    /** One copy: one step's latency (a third of the 8-GPU α: 13 µs for PCIe 4, inside cuda-samples#230's 11-20 µs without P2P). */
    private double copy(double bytes) { return link.alphaUs() * 1e-6 / 3 + bytes / (link.bandwidthGbs() * 1e9); }

    /** One step's time per device (sequential parts) and the communication, with the number of all-reduces. */
    private record Step(Split[] perDevice, double comm, int allReduces, boolean sequential) {
        /** The step alone: devices in parallel (max) or one after another (sum), then the communication. */
        Split time() {
            Split s = ZERO;
            if (sequential) {
                for (Split d : perDevice) s = s.plus(d);
            } else {
                for (Split d : perDevice) if (d.total() > s.total()) s = d;
            }
            return s.plus(new Split(0, 0, comm));
        }
    }

    private Step step(Mode mode, long t, long l) {
        int n = devices.size();
        Split[] dev = new Split[n];
        java.util.Arrays.fill(dev, ZERO);
        if (placed) return placedStep(t, l);
        List<K> ks = kernels(t, l);
        switch (mode) {
            case NONE -> {
                for (K k : ks) dev[0] = dev[0].plus(kernelTime(k.k(), 1, devices.get(0)));
                return new Step(dev, 0, 0, false);
            }
            case LAYER -> {
                int[] owner = layerOwners();
                for (K k : ks) {
                    int d = k.layer() < 0 ? 0 : k.layer() >= nLayer ? n - 1 : owner[k.layer()];
                    dev[d] = dev[d].plus(kernelTime(k.k(), 1, devices.get(d)));
                }
                int boundaries = 0;
                for (int i = 1; i < nLayer; i++) if (owner[i] != owner[i - 1]) boundaries++;
                if (owner[nLayer - 1] != n - 1) boundaries++;
                return new Step(dev, boundaries * copy(t * nEmbd * 4.0), 0, true);
            }
            case TENSOR, GRAPH -> {
                for (K k : ks) {
                    for (int d = 0; d < n; d++) dev[d] = dev[d].plus(kernelTime(k.k(), k.sharded() ? share[d] : 1, devices.get(d)));
                }
                int reduces = 2 * nLayer;
                double rb = mode == Mode.TENSOR ? 4 : 2;
                double comm = reduces * allReduce(t * nEmbd * rb) + allGather(nVocab * 4.0);
                return new Step(dev, comm, reduces, false);
            }
            case ROW -> {
                double comm = 0;
                int syncs = 0;
                for (K k : ks) {
                    if (!k.matrices().isEmpty() && !k.split3d()) {
                        for (int d = 0; d < n; d++) dev[d] = dev[d].plus(kernelTime(k.k(), share[d], devices.get(d)));
                        for (long[] m : k.matrices()) {
                            // the input to every other device, each device's rows back to the main one
                            comm += alpha() + (t * m[1] * 4.0 * (n - 1) + t * m[0] * 4.0 * (n - 1) / n) / (link.bandwidthGbs() * 1e9);
                            syncs++;
                        }
                    } else {
                        dev[0] = dev[0].plus(kernelTime(k.k(), 1, devices.get(0)));
                    }
                }
                return new Step(dev, comm, syncs, false);
            }
        }
        throw new AssertionError(mode);
    }

    /** Layer ownership by cumulative proportions, as llama.cpp's {@code -ts} for {@code -sm layer}. */
    int[] layerOwners() {
        int n = devices.size();
        int[] owner = new int[nLayer];
        double cum = 0;
        double[] bound = new double[n];
        for (int d = 0; d < n; d++) bound[d] = (cum += share[d]);
        for (int i = 0; i < nLayer; i++) {
            double pos = (i + 0.5) / nLayer;
            int d = 0;
            while (d < n - 1 && pos > bound[d]) d++;
            owner[i] = d;
        }
        return owner;
    }

    /** A placed graph: each device's kernels; every collective once (an all-reduce group shares its operand list). */
    private Step placedStep(long t, long l) {
        int n = devices.size();
        Split[] dev = new Split[n];
        java.util.Arrays.fill(dev, ZERO);
        Map<String, Long> sym = new HashMap<>();
        sym.put("T", t);
        sym.put("L", l);
        for (StepCost.Kernel k : StepCost.kernels(g, sym)) {
            if (COLLECTIVES.contains(k.head().op().irName())) continue;
            int d = k.head().attrs().has("device") ? (int) k.head().attrs().integer("device") : 0;
            if (d < 0 || d >= n) throw new IllegalArgumentException("the graph places a node on device " + d + " of " + n);
            dev[d] = dev[d].plus(kernelTime(windowed(k, t, l), 1, devices.get(d)));
        }
        double comm = 0;
        int reduces = 0;
        boolean parallel = false;
        Set<List<Node>> groups = new java.util.HashSet<>();
        Map<String, Long> symbols = sym;
        for (Node x : g.nodes()) {
            String op = x.op().irName();
            if (!COLLECTIVES.contains(op)) continue;
            switch (op) {
                case "all_reduce" -> {
                    parallel = true;
                    if (!groups.add(identityList(x.inputs()))) continue;
                    double rb = reduceBytes(x);
                    comm += allReduce(elements(x.input(0), symbols) * rb);
                    reduces++;
                }
                case "all_gather" -> {
                    parallel = true;
                    if (!groups.add(identityList(x.inputs()))) continue;
                    comm += allGather(elements(x, symbols) * 4.0);
                }
                default -> comm += copy(elements(x, symbols) * StepCost.bytes(x.dtype(), 1_000_000) / 1e6);
            }
        }
        return new Step(dev, comm, reduces, !parallel);
    }

    private static List<Node> identityList(List<Node> ns) {
        // nodes compare by identity; a list of them does too when its elements do
        return Collections.unmodifiableList(new ArrayList<>(ns));
    }

    private static double reduceBytes(Node x) {
        String r = x.attrs().has("reduce") ? x.attrs().string("reduce") : "f32";
        return switch (r) {
            case "bf16", "f16" -> 2;
            case "q8_0" -> 34.0 / 32;
            default -> 4;
        };
    }

    private static double elements(Node n, Map<String, Long> sym) {
        double e = 1;
        for (var d : n.shape().dims()) e *= d.isSymbolic() ? sym.getOrDefault(d.symbol(), 1L) : d.size();
        return e;
    }

    /** Why {@code mode} cannot run these devices on this model, or null. */
    public String impossible(Mode mode) {
        int n = devices.size();
        if (placed) {
            double[] bytes = new double[n];
            for (Node p : g.params()) {
                int d = p.attrs().has("device") ? (int) p.attrs().integer("device") : 0;
                if (d >= n) return "the graph places weights on device " + d + " of " + n;
                bytes[d] += StepCost.bytes(p.dtype(), (long) elements(p, Map.of()));
            }
            for (int d = 0; d < n; d++) {
                if (bytes[d] > devices.get(d).memGb() * 1e9) {
                    return String.format(Locale.ROOT, "does not fit: %.1f GB of weights on device %d (%s, %.0f GB)", bytes[d] / 1e9, d, devices.get(d).id(), devices.get(d).memGb());
                }
            }
            return null;
        }
        if (mode == Mode.NONE) {
            return fits(new double[] {1}, "none");
        }
        if (n < 2) return "needs at least 2 devices";
        if (mode == Mode.LAYER && n > nLayer) return n + " devices for " + nLayer + " layers";
        if ((mode == Mode.TENSOR || mode == Mode.GRAPH || mode == Mode.ROW) && n > nHeadKv && mode != Mode.ROW) {
            return n + " devices for " + nHeadKv + " KV heads (the cache is split by heads)";
        }
        return fits(share, mode.id());
    }

    private String fits(double[] fractions, String what) {
        double weights = 0;
        for (Node p : g.params()) weights += StepCost.bytes(p.dtype(), (long) elements(p, Map.of()));
        for (int d = 0; d < fractions.length; d++) {
            double need = weights * fractions[d];
            if (need > devices.get(d).memGb() * 1e9) {
                return String.format(Locale.ROOT, "does not fit: %.1f GB of weights on device %d (%s, %.0f GB)", need / 1e9, d, devices.get(d).id(), devices.get(d).memGb());
            }
        }
        return null;
    }

    /** The prediction for {@code mode}; a mode that cannot run gives rates of 0 and says why in the note. */
    public Result simulate(Mode mode, Workload w) {
        String why = impossible(mode);
        if (why != null) return new Result(mode, 0, 0, ZERO, ZERO, 0, placed, why);
        Mode m = mode;
        // prompt: micro-batches of ubatch tokens, one after another (layer mode: each through the devices in turn)
        // with pipeline (layer mode): the micro-batches of one batch of `batch` tokens overlap across the devices, as
        // llama.cpp's pipeline parallelism: the first passes every device, each later one costs the slowest device
        Split prompt = ZERO;
        for (int done = 0; done < w.pp(); ) {
            int t = Math.min(w.ubatch(), w.pp() - done);
            Step s = step(m, t, (long) w.depth() + done + t);
            boolean later = w.pipeline() && s.sequential() && done % w.batch() != 0;
            if (later) {
                Split slowest = ZERO;
                for (Split x : s.perDevice()) if (x.total() > slowest.total()) slowest = x;
                prompt = prompt.plus(slowest).plus(new Split(0, 0, s.comm() / Math.max(1, devices.size() - 1)));
            } else {
                prompt = prompt.plus(s.time());
            }
            done += t;
        }
        Step d = step(m, 1, (long) w.depth() + Math.max(1, w.tg() / 2));
        int gathers = 0, transfers = 0;
        Set<List<Node>> seen = new java.util.HashSet<>();
        for (Node x : g.nodes()) {
            if (x.op().irName().equals("all_gather") && seen.add(x.inputs())) gathers++;
            if (x.op().irName().equals("transfer")) transfers++;
        }
        Split decode = d.time();
        double ptps = w.pp() == 0 ? 0 : w.pp() / prompt.total();
        double dtps = 1 / decode.total();
        String note = placed ? String.format(Locale.ROOT, "placed graph: %d all-reduces, %d all-gathers, %d transfers per step", d.allReduces(), gathers, transfers) : switch (mode) {
            case NONE -> "one device";
            case LAYER -> "layers " + layerRanges();
            case TENSOR -> "2 all-reduces per layer, f32";
            case GRAPH -> "2 all-reduces per layer, f16";
            case ROW -> "one sync per weight matrix";
        };
        return new Result(mode, ptps, dtps, prompt, decode, d.allReduces(), placed, note);
    }

    private String layerRanges() {
        int[] o = layerOwners();
        StringBuilder sb = new StringBuilder();
        int start = 0;
        for (int i = 1; i <= o.length; i++) {
            if (i == o.length || o[i] != o[start]) {
                sb.append(sb.isEmpty() ? "" : ",").append(start).append('-').append(i - 1);
                start = i;
            }
        }
        return sb.toString();
    }
}
