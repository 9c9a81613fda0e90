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
        this.interpreter = new Interpreter(stepGraph, weights);
        this.ctx = ctx;
        this.vocab = (int) stepGraph.output(LlamaLifter.LOGITS).shape().last().size();
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
        return interpreter.run(
                Map.of(LlamaLifter.TOKENS, Value.ofI32(shape, tokens), LlamaLifter.POSITIONS, Value.ofI32(shape, pos)),
                Map.of("T", (long) tokens.length, "L", (long) startPos + tokens.length));
    }

    @Override
    public void reset() { interpreter.resetState(); }

    @Override
    public int contextSize() { return ctx; }

    @Override
    public int vocabSize() { return vocab; }
}
