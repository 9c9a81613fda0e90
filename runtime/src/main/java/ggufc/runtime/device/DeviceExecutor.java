package ggufc.runtime.device;

import ggufc.codegen.tornado.lower.GpuLowering;
import ggufc.codegen.tornado.lower.LaunchPlan;
import ggufc.codegen.tornado.lower.LaunchPlan.Arg;
import ggufc.codegen.tornado.lower.LaunchPlan.BufArg;
import ggufc.codegen.tornado.lower.LaunchPlan.BufferSpec;
import ggufc.codegen.tornado.lower.LaunchPlan.IntArg;
import ggufc.codegen.tornado.lower.LaunchPlan.Launch;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.TensorData;
import ggufc.lift.LlamaLifter;
import ggufc.runtime.StepExecutor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs a step graph on a {@link Device}: lowers it to a launch plan, builds the kernels once,
 * uploads the weights once, keeps the KV caches on the device, and per step writes the token ids and
 * positions, queues the launches and reads back only what the caller needs: the logits row, or
 * with {@link #stepArgmax} a single token id. Prompts longer than the plan's batch run in chunks.
 */
public final class DeviceExecutor implements StepExecutor {
    private final Device device;
    private final LaunchPlan plan;
    private final Device.Buffer[] buffers;
    private final Device.LoadedKernel[] kernelOf;
    private final Object[][] argTemplates;
    private final int ctx;
    private final int vocab;
    private final ggufc.codegen.tornado.lower.Extent logitsRows;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment idsHost, posHost, logitsHost, tokenHost;
    private final boolean ownsDevice;

    /**
     * @param maxBatch most tokens per step on the device (longer prompts run in chunks); buffers are sized for it
     * @param ownsDevice close the device with this executor
     */
    public DeviceExecutor(Graph graph, Function<String, TensorData> weights, int ctx, int maxBatch, Device device, boolean ownsDevice) {
        this(graph, weights, ctx, maxBatch, device, ownsDevice, null);
    }

    /**
     * As above; the graph's states are {@code sharedStates}'s device buffers, matched by name (a draft step that writes
     * its target's KV caches on the same device), not buffers of its own.
     */
    public DeviceExecutor(Graph graph, Function<String, TensorData> weights, int ctx, int maxBatch, Device device, boolean ownsDevice, DeviceExecutor sharedStates) {
        this.device = device;
        this.ownsDevice = ownsDevice;
        this.ctx = ctx;
        this.plan = GpuLowering.lower(graph, new GpuLowering.Options(Math.min(maxBatch, ctx), ctx));
        // graphs without logits (kernel tests) run through runRaw/readOutputs only
        ggufc.ir.Node logitsNode = graph.output(LlamaLifter.LOGITS);
        ggufc.ir.Shape ls = logitsNode == null ? ggufc.ir.Shape.of(new long[] {1, 1}) : logitsNode.shape();
        this.vocab = (int) ls.last().size();
        this.logitsRows = ggufc.codegen.tornado.lower.Extent.elements(new ggufc.ir.Shape(ls.dims().subList(0, ls.rank() - 1)));
        try {
            Device.Module module = device.load(plan.kernels());
            buffers = new Device.Buffer[plan.buffers().size()];
            for (BufferSpec b : plan.buffers()) {
                if (b.kind() == LaunchPlan.BufferKind.STATE && sharedStates != null) {
                    Integer id = sharedStates.plan.states().get(b.source());
                    if (id == null || sharedStates.plan.buffers().get(id).bytes() != b.bytes()) {
                        throw new DeviceException("state \"" + b.source() + "\" is " + (id == null ? "not one of the target's" : "sized differently in the target"));
                    }
                    buffers[b.id()] = sharedStates.buffers[id];
                    continue;
                }
                buffers[b.id()] = device.allocate(b.bytes());
                switch (b.kind()) {
                    case PARAM -> {
                        TensorData d = weights.apply(b.source());
                        if (d == null) throw new DeviceException("no data for weight \"" + b.source() + "\"");
                        if (d.dtype() != b.dtype()) throw new DeviceException("weight \"" + b.source() + "\" is " + d.dtype() + ", the graph says " + b.dtype());
                        device.write(buffers[b.id()], 0, d.bytes().asSlice(0, b.bytes()));
                    }
                    case CONSTANT -> {
                        MemorySegment c = arena.allocate(4L * b.constant().size(), 4);
                        for (int i = 0; i < b.constant().size(); i++) {
                            if (b.dtype() == DType.I32) c.setAtIndex(ValueLayout.JAVA_INT, i, b.constant().get(i).intValue());
                            else c.setAtIndex(ValueLayout.JAVA_FLOAT, i, b.constant().get(i).floatValue());
                        }
                        device.write(buffers[b.id()], 0, c);
                    }
                    default -> {}
                }
            }
            List<Launch> all = new ArrayList<>(plan.launches());
            if (plan.argmax() != null) all.add(plan.argmax());
            kernelOf = new Device.LoadedKernel[all.size()];
            argTemplates = new Object[all.size()][];
            for (int i = 0; i < all.size(); i++) {
                kernelOf[i] = module.kernel(all.get(i).kernel());
                argTemplates[i] = new Object[all.get(i).args().size()];
            }
            device.finish();
        } catch (RuntimeException e) {
            if (ownsDevice) device.close();
            throw e;
        }
        idsHost = arena.allocate(4L * plan.maxBatch(), 4);
        posHost = arena.allocate(4L * plan.maxBatch(), 4);
        logitsHost = arena.allocate(4L * vocab, 4);
        tokenHost = arena.allocate(4, 4);
    }

    public LaunchPlan plan() { return plan; }

    public Device device() { return device; }

    @Override
    public float[] step(int[] tokens, int startPos) {
        run(tokens, startPos);
        int logits = plan.outputs().get(LlamaLifter.LOGITS);
        long rows = logitsRows.eval(lastChunk(tokens.length), startPos + tokens.length);
        long offset = (rows - 1) * 4L * vocab;
        device.read(buffers[logits], offset, logitsHost);
        return logitsHost.toArray(ValueLayout.JAVA_FLOAT);
    }

    /**
     * Every token's logits ({@code [tokens.length][vocab]}): the verify step of speculative decoding, for a graph lifted
     * with every position's logits; at most one batch (longer steps would leave only the last chunk's rows).
     */
    @Override
    public float[][] stepAll(int[] tokens, int startPos) {
        if (tokens.length > plan.maxBatch()) throw new IllegalArgumentException("a verify step of " + tokens.length + " tokens is longer than the device batch " + plan.maxBatch());
        run(tokens, startPos);
        long rows = logitsRows.eval(tokens.length, startPos + tokens.length);
        if (rows != tokens.length) return StepExecutor.super.stepAll(tokens, startPos);
        try (Arena step = Arena.ofConfined()) {
            MemorySegment all = step.allocate(4L * vocab * rows, 4);
            device.read(buffers[plan.outputs().get(LlamaLifter.LOGITS)], 0, all);
            float[][] out = new float[(int) rows][];
            for (int r = 0; r < rows; r++) out[r] = all.asSlice(4L * vocab * r, 4L * vocab).toArray(ValueLayout.JAVA_FLOAT);
            return out;
        }
    }

    /** Greedy step: the argmax runs on the device; 4 bytes come back. */
    @Override
    public int stepArgmax(int[] tokens, int startPos) {
        if (plan.argmax() == null) return StepExecutor.super.stepArgmax(tokens, startPos);
        run(tokens, startPos);
        int i = plan.launches().size();
        launch(plan.argmax(), i, 1, 1);
        device.read(buffers[plan.argmaxOut()], 0, tokenHost);
        return tokenHost.get(ValueLayout.JAVA_INT, 0);
    }

    private int lastChunk(int n) {
        int r = n % plan.maxBatch();
        return r == 0 ? plan.maxBatch() : r;
    }

    /** Runs the launch sequence over {@code tokens} in chunks of at most the plan's batch. */
    private void run(int[] tokens, int startPos) {
        if (tokens.length == 0) throw new IllegalArgumentException("a step needs at least one token");
        if (startPos + tokens.length > ctx) throw new IllegalArgumentException("context full: " + (startPos + tokens.length) + " tokens > --ctx " + ctx);
        for (int off = 0; off < tokens.length; off += plan.maxBatch()) {
            int t = Math.min(plan.maxBatch(), tokens.length - off);
            for (int i = 0; i < t; i++) {
                idsHost.setAtIndex(ValueLayout.JAVA_INT, i, tokens[off + i]);
                posHost.setAtIndex(ValueLayout.JAVA_INT, i, startPos + off + i);
            }
            device.write(buffers[plan.inputs().get(LlamaLifter.TOKENS)], 0, idsHost.asSlice(0, 4L * t));
            device.write(buffers[plan.inputs().get(LlamaLifter.POSITIONS)], 0, posHost.asSlice(0, 4L * t));
            long l = startPos + off + t;
            List<Launch> ls = plan.launches();
            for (int i = 0; i < ls.size(); i++) {
                if (ls.get(i).when().runs(t)) launch(ls.get(i), i, t, l);
            }
        }
    }

    // ---- for MultiDeviceExecutor: one device's part of a split step, run phase by phase ------------------

    /** Queues the launches whose index {@code which} accepts, for a chunk of {@code t} tokens ending at length {@code l}. */
    void launchSome(int t, long l, java.util.function.IntPredicate which) {
        List<Launch> ls = plan.launches();
        for (int i = 0; i < ls.size(); i++) if (which.test(i) && ls.get(i).when().runs(t)) launch(ls.get(i), i, t, l);
    }

    boolean hasInput(String name) { return plan.inputs().containsKey(name); }

    /** Writes {@code src} into input {@code name} (queued; the host segment must stay until {@link #finish}). */
    void writeInput(String name, MemorySegment src) { device.write(buffers[plan.inputs().get(name)], 0, src); }

    /** Reads output {@code name} from byte {@code offset} into {@code dst} (waits for the queue). */
    void readOutput(String name, long offset, MemorySegment dst) { device.read(buffers[plan.outputs().get(name)], offset, dst); }

    void finish() { device.finish(); }

    /** Per kernel over the profiled launches: launches, bytes the plan says they must move, and device nanoseconds. */
    public record KernelStats(String kernel, long launches, long bytes, long nanos) {}

    private final Map<String, long[]> movedBytes = new LinkedHashMap<>();
    private boolean profiling;

    /** Turns per-kernel accounting on (device timing where the device has it) and clears it. */
    public void profile(boolean on) {
        profiling = on;
        movedBytes.clear();
        device.profile(on);
    }

    /** What {@link #profile} collected, slowest kernel first. */
    public List<KernelStats> profileStats() {
        device.finish();
        Map<String, long[]> dev = device.profileTotals();
        List<KernelStats> r = new ArrayList<>();
        for (var e : movedBytes.entrySet()) {
            long[] d = dev.getOrDefault(e.getKey(), new long[2]);
            r.add(new KernelStats(e.getKey(), e.getValue()[0], e.getValue()[1], d[0]));
        }
        r.sort((a, b) -> Long.compare(b.nanos(), a.nanos()));
        return r;
    }

    private void launch(Launch launch, int index, long t, long l) {
        if (profiling) {
            long[] m = movedBytes.computeIfAbsent(launch.kernel(), k -> new long[2]);
            m[0]++;
            m[1] += launch.bytes().eval(t, l);
        }
        Object[] args = argTemplates[index];
        List<Arg> spec = launch.args();
        for (int a = 0; a < args.length; a++) {
            args[a] = switch (spec.get(a)) {
                case BufArg b -> buffers[b.buffer()];
                case IntArg v -> (int) v.value().eval(t, l);
            };
        }
        long g0 = launch.groups0().eval(t, l), g1 = launch.groups1().eval(t, l);
        if (g0 <= 0 || g1 <= 0) return;
        device.launch(kernelOf[index], new long[] {g0, g1}, args);
    }

    /** The current contents of state {@code name} (a KV cache) as f32, for tests. */
    public float[] readState(String name) {
        int id = plan.states().get(name);
        BufferSpec b = plan.buffers().get(id);
        MemorySegment host = Arena.ofAuto().allocate(b.bytes(), 4);
        device.read(buffers[id], 0, host);
        if (b.dtype() == DType.F16) {
            float[] r = new float[(int) (b.bytes() / 2)];
            for (int i = 0; i < r.length; i++) r[i] = Float.float16ToFloat(host.getAtIndex(ValueLayout.JAVA_SHORT, i));
            return r;
        }
        return host.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Every graph output after a step, as f32 (i32 outputs converted), for tests: shape-less flat arrays of the step's T and L. */
    public Map<String, float[]> readOutputs(Map<String, long[]> shapes) {
        Map<String, float[]> r = new LinkedHashMap<>();
        for (var e : plan.outputs().entrySet()) {
            long n = ggufc.ir.TensorData.elements(shapes.get(e.getKey()));
            BufferSpec b = plan.buffers().get(e.getValue());
            MemorySegment host = Arena.ofAuto().allocate(Math.max(4, b.dtype() == DType.F16 ? 2 * n : 4 * n), 4);
            device.read(buffers[e.getValue()], 0, host);
            float[] v = new float[(int) n];
            for (int i = 0; i < n; i++) {
                v[i] = b.dtype() == DType.F16 ? Float.float16ToFloat(host.getAtIndex(ValueLayout.JAVA_SHORT, i))
                        : b.dtype() == DType.I32 ? host.getAtIndex(ValueLayout.JAVA_INT, i) : host.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            }
            r.put(e.getKey(), v);
        }
        return r;
    }

    /** Runs one step with arbitrary input arrays by name (tests of small graphs; T and L given). */
    public void runRaw(Map<String, int[]> intInputs, Map<String, float[]> floatInputs, long t, long l) {
        for (var e : intInputs.entrySet()) {
            MemorySegment m = Arena.ofAuto().allocate(4L * Math.max(1, e.getValue().length), 4);
            for (int i = 0; i < e.getValue().length; i++) m.setAtIndex(ValueLayout.JAVA_INT, i, e.getValue()[i]);
            device.write(buffers[plan.inputs().get(e.getKey())], 0, m.asSlice(0, 4L * e.getValue().length));
        }
        for (var e : floatInputs.entrySet()) {
            MemorySegment m = Arena.ofAuto().allocate(4L * Math.max(1, e.getValue().length), 4);
            for (int i = 0; i < e.getValue().length; i++) m.setAtIndex(ValueLayout.JAVA_FLOAT, i, e.getValue()[i]);
            device.write(buffers[plan.inputs().get(e.getKey())], 0, m.asSlice(0, 4L * e.getValue().length));
        }
        List<Launch> ls = plan.launches();
        for (int i = 0; i < ls.size(); i++) if (ls.get(i).when().runs(t)) launch(ls.get(i), i, t, l);
        device.finish();
    }

    @Override
    public void reset() {
        for (int id : plan.states().values()) device.zero(buffers[id]);
    }

    @Override
    public int contextSize() { return ctx; }

    @Override
    public int vocabSize() { return vocab; }

    @Override
    public void close() {
        if (ownsDevice) device.close();
        arena.close();
    }
}
