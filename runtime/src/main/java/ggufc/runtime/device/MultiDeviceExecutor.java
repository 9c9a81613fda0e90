package ggufc.runtime.device;

import ggufc.ir.Attrs;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Placement;
import ggufc.ir.TensorData;
import ggufc.ir.interp.Collectives;
import ggufc.lift.LlamaLifter;
import ggufc.runtime.StepExecutor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a placed (split) step graph over several GPU devices, each with its own kernels, memory and queue (OpenCL
 * sub-devices of one CPU under PoCL, or separate GPUs): every device gets its part of the graph as a graph of its own
 * (values it receives are inputs {@code recv%i}, values others need are outputs {@code send%i}), lowered by the GPU
 * backend once. A step runs phase by phase: every device queues its launches of the phase (the devices work at once),
 * all finish, then the collectives between this phase and the next run through the host (the host-staging path: read
 * the parts, reduce, gather or copy them exactly as {@link Collectives} defines, write the results where they are
 * received).
 */
public final class MultiDeviceExecutor implements StepExecutor {
    private static final Pattern NODE_ID = Pattern.compile("%(\\d+) ");

    private final Graph graph;
    private final List<Device> devices;
    private final DeviceExecutor[] parts;
    /** device → launch index → phase. */
    private final int[][] phaseOf;
    private final int phases;
    /** Collectives to run after each phase, in graph order. */
    private final List<List<Node>> gaps = new ArrayList<>();
    private final Map<Node, Integer> index;
    private final int ctx, maxBatch, vocab;

    public MultiDeviceExecutor(Graph placed, Function<String, TensorData> weights, int ctx, int maxBatch, List<Device> devices) {
        this.graph = placed;
        this.devices = List.copyOf(devices);
        this.ctx = ctx;
        this.index = placed.indexOf();
        int n = devices.size();
        for (int d : Placement.devices(placed)) {
            if (d >= n) throw new IllegalArgumentException("the split graph uses device " + d + " but only " + n + " devices were given");
        }
        // phases: runs of non-collective nodes between collectives, in graph order
        Map<Node, Integer> phase = new IdentityHashMap<>();
        int p = 0;
        boolean open = false;
        gaps.add(new ArrayList<>());
        for (Node x : placed.nodes()) {
            if (OpKind.COLLECTIVES.contains(x.op())) {
                gaps.get(p).add(x);
                open = false;
                continue;
            }
            if (!open && !gaps.get(p).isEmpty()) {
                p++;
                gaps.add(new ArrayList<>());
            }
            open = true;
            phase.put(x, p);
        }
        this.phases = p + 1;
        this.parts = new DeviceExecutor[n];
        this.phaseOf = new int[n][];
        try {
            for (int d = 0; d < n; d++) {
                Map<Integer, Integer> phaseById = new HashMap<>();
                Graph part = partOf(placed, d, phase, phaseById);
                parts[d] = new DeviceExecutor(part, weights, ctx, maxBatch, devices.get(d), true);
                var launches = parts[d].plan().launches();
                phaseOf[d] = new int[launches.size()];
                for (int i = 0; i < launches.size(); i++) {
                    Matcher m = NODE_ID.matcher(launches.get(i).node() + " ");
                    if (!m.find()) throw new IllegalStateException("launch " + launches.get(i).kernel() + " names no node");
                    phaseOf[d][i] = phaseById.getOrDefault(Integer.parseInt(m.group(1)), 0);
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        int b = Integer.MAX_VALUE;
        for (DeviceExecutor x : parts) b = Math.min(b, x.plan().maxBatch());
        this.maxBatch = b;
        this.vocab = (int) placed.output(LlamaLifter.LOGITS).shape().last().size();
    }

    /** Device {@code d}'s part: its nodes, with received values as inputs and values others read as outputs. */
    private Graph partOf(Graph g, int d, Map<Node, Integer> phase, Map<Integer, Integer> phaseById) {
        GraphBuilder b = new GraphBuilder(g.name() + "_device" + d);
        Map<Node, Node> map = new IdentityHashMap<>();
        List<Node> sent = new ArrayList<>();
        for (Node x : g.nodes()) {
            if (Placement.device(x) != d && !OpKind.COLLECTIVES.contains(x.op())) continue;
            if (OpKind.COLLECTIVES.contains(x.op())) {
                for (Node in : x.inputs()) if (Placement.device(in) == d && !OpKind.COLLECTIVES.contains(in.op()) && !sent.contains(in)) sent.add(in);
                if (Placement.device(x) == d) map.put(x, b.add(OpKind.INPUT, List.of(), Attrs.of("name", "recv%" + index.get(x)), x.type()));
                continue;
            }
            List<Node> ins = new ArrayList<>();
            for (Node in : x.inputs()) ins.add(map.get(in));
            // the placement is the split's business: each part runs on one device
            Attrs a = x.attrs().without(Placement.DEVICE).without(Placement.SPLIT);
            Node y = b.add(x.op(), ins, a, OpKind.DECLARED_TYPE.contains(x.op()) ? x.type() : null);
            map.put(x, y);
            phaseById.put(y.id(), phase.get(x));
        }
        for (Node s : sent) b.output("send%" + index.get(s), map.get(s));
        for (var e : g.outputs().entrySet()) {
            Node v = e.getValue();
            if (Placement.device(v) == d && map.containsKey(v) && !OpKind.COLLECTIVES.contains(v.op())) b.output(e.getKey(), map.get(v));
        }
        // a state this part holds but does not write back stays as it is
        for (Node s : g.states()) if (Placement.device(s) == d && !g.outputs().containsKey(s.name())) b.output(s.name(), map.get(s));
        return b.build();
    }

    public List<Device> devices() { return devices; }

    @Override
    public float[] step(int[] tokens, int startPos) {
        if (tokens.length == 0) throw new IllegalArgumentException("a step needs at least one token");
        if (startPos + tokens.length > ctx) throw new IllegalArgumentException("context full: " + (startPos + tokens.length) + " tokens > --ctx " + ctx);
        float[] logits = null;
        for (int off = 0; off < tokens.length; off += maxBatch) {
            int t = Math.min(maxBatch, tokens.length - off);
            logits = chunk(java.util.Arrays.copyOfRange(tokens, off, off + t), startPos + off);
        }
        return logits;
    }

    private float[] chunk(int[] tokens, int start) {
        int t = tokens.length;
        long l = start + t;
        Map<String, Long> symbols = Map.of("T", (long) t, "L", l);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ids = a.allocate(4L * t, 4), pos = a.allocate(4L * t, 4);
            for (int i = 0; i < t; i++) {
                ids.setAtIndex(ValueLayout.JAVA_INT, i, tokens[i]);
                pos.setAtIndex(ValueLayout.JAVA_INT, i, start + i);
            }
            for (DeviceExecutor x : parts) {
                if (x.hasInput(LlamaLifter.TOKENS)) x.writeInput(LlamaLifter.TOKENS, ids);
                if (x.hasInput(LlamaLifter.POSITIONS)) x.writeInput(LlamaLifter.POSITIONS, pos);
            }
            Map<Node, float[]> host = new IdentityHashMap<>();
            for (int p = 0; p < phases; p++) {
                int phase = p;
                for (int d = 0; d < parts.length; d++) {
                    int dev = d;
                    parts[d].launchSome(t, l, i -> phaseOf[dev][i] == phase);
                }
                for (DeviceExecutor x : parts) x.finish();
                for (Node c : gaps.get(p)) {
                    float[][] in = new float[c.inputs().size()][];
                    for (int i = 0; i < in.length; i++) in[i] = value(c.input(i), symbols, host, a);
                    int elements = (int) TensorData.elements(c.shape().resolve(symbols));
                    float[] out = new float[elements];
                    switch (c.op()) {
                        case ALL_REDUCE -> Collectives.allReduce(in, elements, (int) c.shape().resolve(symbols)[c.shape().rank() - 1], c.attrs().string("reduce"), out);
                        case ALL_GATHER -> gather(in, c, symbols, out);
                        default -> System.arraycopy(in[0], 0, out, 0, elements);
                    }
                    host.put(c, out);
                    DeviceExecutor recv = parts[Placement.device(c)];
                    String name = "recv%" + index.get(c);
                    if (recv.hasInput(name)) {
                        MemorySegment seg = a.allocate(4L * elements, 4);
                        MemorySegment.copy(out, 0, seg, ValueLayout.JAVA_FLOAT, 0, elements);
                        recv.writeInput(name, seg);
                    }
                }
            }
            Node lo = graph.output(LlamaLifter.LOGITS);
            float[] all = value(lo, symbols, host, a);
            return java.util.Arrays.copyOfRange(all, all.length - vocab, all.length);
        }
    }

    /** A value on the host: a collective's result, or a device's output read back. */
    private float[] value(Node v, Map<String, Long> symbols, Map<Node, float[]> host, Arena a) {
        float[] h = host.get(v);
        if (h != null) return h;
        int elements = (int) TensorData.elements(v.shape().resolve(symbols));
        MemorySegment seg = a.allocate(4L * elements, 4);
        DeviceExecutor x = parts[Placement.device(v)];
        x.readOutput(v == graph.output(LlamaLifter.LOGITS) ? LlamaLifter.LOGITS : "send%" + index.get(v), 0, seg);
        float[] r = seg.toArray(ValueLayout.JAVA_FLOAT);
        host.put(v, r);
        return r;
    }

    /** all_gather on the host, as {@link Collectives#allGather} defines it. */
    private static void gather(float[][] parts, Node c, Map<String, Long> symbols, float[] out) {
        int axis = (int) c.attrs().integer("axis");
        long[] shape = c.shape().resolve(symbols);
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        int[] widths = new int[parts.length];
        for (int p = 0; p < parts.length; p++) widths[p] = (int) (c.input(p).shape().dim(axis).size() * inner);
        Collectives.allGather(parts, widths, (int) outer, out);
    }

    @Override
    public void reset() { for (DeviceExecutor x : parts) if (x != null) x.reset(); }

    @Override
    public int contextSize() { return ctx; }

    @Override
    public int vocabSize() { return vocab; }

    @Override
    public void close() {
        for (DeviceExecutor x : parts) if (x != null) x.close();
    }
}
