package ggufc.codegen.vector.plan;

import ggufc.ir.DType;
import java.util.Arrays;
import java.util.List;

/**
 * A step graph lowered for the vector target: the kernel calls in order ({@link Step}) over
 * numbered operands. Slots are f32 activation buffers sized for up to {@code maxTokens} tokens per
 * step and shared by values whose lifetimes do not overlap; weights are slices of the GGUF
 * mapping; caches are off-heap KV buffers of {@code rowLen} floats (or halves) per position.
 */
public record Plan(String graphName, List<Weight> weights, List<PackedWeight> packed, List<Cache> caches, List<String> inputs, List<Slot> slots,
                   List<Step> steps, List<Output> outputs, int maxTokens) {

    /**
     * A weight read by the kernels; {@code shape} in IR order. As stored: its file dtype, read in
     * place. {@code decodedF32}: a {@code dtype} tensor decoded to f32 once at load, for a kernel
     * that reads f32 only (norm weights stored as F16, BF16 or quantized). {@code constant}: f32
     * values folded into the IR at compile time (the name is the node's), for the same kernels.
     */
    public record Weight(String name, DType dtype, long[] shape, boolean decodedF32, float[] constant) {
        public Weight(String name, DType dtype, long[] shape) { this(name, dtype, shape, false, null); }

        /** The dtype the kernels read. */
        public DType kernelDType() { return decodedF32 || constant != null ? DType.F32 : dtype; }

        @Override
        public String toString() {
            String s = name + " " + dtype + " " + Arrays.toString(shape);
            return constant != null ? s + " constant" : decodedF32 ? s + " decoded to f32 at load" : s;
        }
    }

    /**
     * A small matrix {@code [N, K]} decoded and repacked at load time into f32 row tiles ({@link ggufc.codegen.vector.kernels.Packed}),
     * read by the packed matmul steps instead of its mapped rows.
     */
    public record PackedWeight(String name, DType dtype, int N, int K) {
        @Override
        public String toString() { return name + " " + dtype + " [" + N + ", " + K + "] decoded to f32 " + ggufc.codegen.vector.kernels.Packed.ROWS + "-row tiles"; }
    }

    /** A KV cache state: {@code capacity} rows (the compile-time context) of {@code rowLen} elements. */
    public record Cache(String name, DType dtype, int capacity, int rowLen) {}

    /** An activation buffer of {@code fixed + perToken * maxTokens} floats, or a constant's values. */
    public record Slot(long fixed, long perToken, float[] constant) {
        public long capacity(int maxTokens) { return fixed + perToken * maxTokens; }
    }

    /** A graph output: a slot holding {@code size} floats, or ({@code slot < 0}) a cache written in place. */
    public record Output(String name, int slot, Size size, long rowLength) {}

    public int outputIndex(String name) {
        for (int i = 0; i < outputs.size(); i++) if (outputs.get(i).name().equals(name)) return i;
        return -1;
    }

    /** A readable listing: operands, then one line per step. */
    public String dump() {
        StringBuilder sb = new StringBuilder("plan @" + graphName + " (max " + maxTokens + " tokens per step)\n");
        for (int i = 0; i < weights.size(); i++) sb.append("  w").append(i).append(": ").append(weights.get(i)).append('\n');
        for (int i = 0; i < packed.size(); i++) sb.append("  p").append(i).append(": ").append(packed.get(i)).append('\n');
        for (int i = 0; i < caches.size(); i++) sb.append("  c").append(i).append(": ").append(caches.get(i)).append('\n');
        for (int i = 0; i < inputs.size(); i++) sb.append("  in").append(i).append(": ").append(inputs.get(i)).append('\n');
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            sb.append("  s").append(i).append(": ").append(s.constant() != null ? "constant " + s.constant().length : s.fixed() + " + " + s.perToken() + "*T floats").append('\n');
        }
        for (Step s : steps) sb.append("  ").append(s.describe()).append('\n');
        for (Output o : outputs) sb.append("  output ").append(o.name()).append(" = ").append(o.slot() < 0 ? "(cache, in place)" : "s" + o.slot() + " (" + o.size() + ")").append('\n');
        return sb.toString();
    }
}
