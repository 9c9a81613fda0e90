package ggufc.runtime;

import ggufc.gguf.GgufException;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.TensorData;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.lift.LlamaLifter;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/** Runs a lifted step graph on the reference interpreter (the oracle backend). */
public final class InterpreterExecutor implements StepExecutor {
    private final Interpreter interpreter;
    private final int ctx;
    private final int vocab;

    /** Refuses caches larger than one Java array (2^31 - 1 elements), which is how the interpreter holds them. */
    public static void checkArraySizes(Path model, Graph g) {
        for (Node s : g.states()) {
            if (s.shape().staticElements() > Integer.MAX_VALUE - 8) {
                throw new GgufException(model, "the interpreter holds cache '" + s.name() + "' " + s.shape() + " as one Java array, which takes at most 2^31 - 1 elements; lower --ctx (-c)");
            }
        }
    }

    public InterpreterExecutor(Graph stepGraph, Function<String, TensorData> weights, int ctx) {
        this(new Interpreter(stepGraph, weights), ctx);
    }

    private InterpreterExecutor(Interpreter interpreter, int ctx) {
        this.interpreter = interpreter;
        this.ctx = ctx;
        this.vocab = (int) interpreter.graph().output(LlamaLifter.LOGITS).shape().last().size();
    }

    /** An interpreter of {@code graph} with its own {@code weights} that reads and writes this one's KV caches (by name). */
    public Interpreter sharingCaches(Graph graph, Function<String, TensorData> weights) { return interpreter.sharingStates(graph, weights); }

    /** The outputs of the last step. */
    private Map<String, Value> last = Map.of();

    @Override
    public float[] hiddenRow(int row) {
        Value h = last.get(LlamaLifter.HIDDEN);
        if (h == null) return StepExecutor.super.hiddenRow(row);
        long[] shape = h.shape();
        int width = (int) shape[shape.length - 1], rows = (int) (h.f32().length / width);
        int r = row < 0 ? rows + row : row;
        if (r < 0 || r >= rows) throw new IllegalArgumentException("row " + row + " of a step of " + rows + " rows");
        return java.util.Arrays.copyOfRange(h.f32(), r * width, (r + 1) * width);
    }

    /** An executor of {@code draftGraph} that reads and writes this one's KV caches (by name). */
    public InterpreterExecutor sharingCaches(Graph draftGraph) { return new InterpreterExecutor(interpreter.sharingStates(draftGraph), ctx); }

    @Override
    public float[][] stepAll(int[] tokens, int startPos) {
        float[] all = run(tokens, startPos).get(LlamaLifter.LOGITS).f32();
        if (all.length != (long) tokens.length * vocab) return StepExecutor.super.stepAll(tokens, startPos);
        float[][] rows = new float[tokens.length][];
        for (int i = 0; i < rows.length; i++) rows[i] = java.util.Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab);
        return rows;
    }

    @Override
    public float[] step(int[] tokens, int startPos) {
        Map<String, Value> out = run(tokens, startPos);
        float[] all = out.get(LlamaLifter.LOGITS).f32();
        float[] last = new float[vocab];
        System.arraycopy(all, all.length - vocab, last, 0, vocab);
        return last;
    }

    /** All outputs of one step (logits of every position when the graph was lifted with allLogits). */
    public Map<String, Value> run(int[] tokens, int startPos) {
        if (startPos + tokens.length > ctx) throw new IllegalArgumentException("context full: " + (startPos + tokens.length) + " tokens > --ctx " + ctx);
        int[] pos = new int[tokens.length];
        for (int i = 0; i < pos.length; i++) pos[i] = startPos + i;
        long[] shape = {tokens.length};
        last = interpreter.run(
                Map.of(LlamaLifter.TOKENS, Value.ofI32(shape, tokens), LlamaLifter.POSITIONS, Value.ofI32(shape, pos)),
                Map.of("T", (long) tokens.length, "L", (long) startPos + tokens.length));
        return last;
    }

    @Override
    public void reset() { interpreter.resetState(); }

    @Override
    public int contextSize() { return ctx; }

    @Override
    public int vocabSize() { return vocab; }
}
