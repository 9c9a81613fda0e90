package ggufc.codegen.tornado.lower;

import ggufc.codegen.tornado.kir.Kernel;
import java.util.List;
import java.util.Map;

/**
 * A compiled step graph for a device: the kernels, the buffers they use, and the launch sequence
 * of one step. Buffers are allocated once (temporaries sized for {@code maxBatch} tokens and
 * {@code ctx} positions, and shared between values whose lifetimes do not overlap); weights are
 * uploaded once; a step writes the inputs, runs the launches in order and reads the outputs it
 * needs.
 */
public record LaunchPlan(String graph, List<Kernel> kernels, List<BufferSpec> buffers, List<Launch> launches,
                         Map<String, Integer> inputs, Map<String, Integer> outputs, Map<String, Integer> states,
                         Launch argmax, int argmaxOut, int maxBatch, int ctx) {

    public enum BufferKind { PARAM, STATE, INPUT, CONSTANT, TEMP }

    /**
     * One device buffer. {@code source}: the param, state or input name; {@code constant}: the
     * values of a CONSTANT; {@code dtype}: the element type in the IR sense (raw blocks for weights).
     */
    public record BufferSpec(int id, BufferKind kind, String source, long bytes, ggufc.ir.DType dtype, List<Double> constant) {
        public BufferSpec {
            constant = constant == null ? null : List.copyOf(constant);
        }
    }

    /** A kernel argument: a buffer or an integer known per step. */
    public sealed interface Arg permits BufArg, IntArg {}

    public record BufArg(int buffer) implements Arg {}

    public record IntArg(Extent value) implements Arg {}

    /** Which steps run a launch (attention has a decode and a prompt kernel). */
    public enum When {
        ALWAYS, DECODE, PROMPT;

        public boolean runs(long t) { return this == ALWAYS || (this == DECODE) == (t == 1); }
    }

    /**
     * One kernel launch: grid of work-groups (two dimensions), arguments in parameter order, the
     * graph node it computes (for reports), and the bytes it must move at least (weights read once,
     * activations in and out) for bandwidth figures.
     */
    public record Launch(String kernel, Extent groups0, Extent groups1, List<Arg> args, When when, String node, Extent bytes) {
        public Launch {
            args = List.copyOf(args);
        }
    }

    public Kernel kernel(String name) {
        for (Kernel k : kernels) if (k.name().equals(name)) return k;
        throw new IllegalArgumentException("no kernel " + name);
    }

    /** The schedule as text: buffers, then one line per launch. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("# launch plan for @").append(graph).append(": ").append(kernels.size()).append(" kernels, ").append(launches.size())
          .append(" launches per step, buffers sized for ").append(maxBatch).append(" tokens per step and ").append(ctx).append(" positions\n");
        long[] bytes = new long[BufferKind.values().length];
        for (BufferSpec b : buffers) bytes[b.kind().ordinal()] += b.bytes();
        for (BufferKind k : BufferKind.values()) sb.append("# ").append(k.name().toLowerCase()).append(" buffers: ").append(bytes[k.ordinal()]).append(" bytes\n");
        for (BufferSpec b : buffers) {
            sb.append("buffer ").append(b.id()).append(' ').append(b.kind().name().toLowerCase()).append(' ').append(b.bytes()).append(" bytes");
            if (b.source() != null) sb.append(" \"").append(b.source()).append('"');
            if (b.dtype() != null) sb.append(' ').append(b.dtype().irName());
            sb.append('\n');
        }
        for (Launch l : launches) sb.append(line(l)).append('\n');
        if (argmax != null) sb.append(line(argmax)).append("  -> buffer ").append(argmaxOut).append(" (greedy sampling)\n");
        for (var e : outputs.entrySet()) sb.append("output \"").append(e.getKey()).append("\" = buffer ").append(e.getValue()).append('\n');
        return sb.toString();
    }

    private static String line(Launch l) {
        StringBuilder sb = new StringBuilder("launch ").append(l.kernel()).append(" groups (").append(l.groups0()).append(", ").append(l.groups1()).append(") args (");
        for (int i = 0; i < l.args().size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(switch (l.args().get(i)) {
                case BufArg b -> "buf" + b.buffer();
                case IntArg v -> v.value().toString();
            });
        }
        sb.append(')');
        if (l.when() != When.ALWAYS) sb.append(" when ").append(l.when() == When.DECODE ? "T == 1" : "T > 1");
        sb.append("  # ").append(l.node());
        return sb.toString();
    }
}
