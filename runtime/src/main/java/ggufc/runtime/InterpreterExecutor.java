package ggufc.runtime;

import ggufc.ir.Graph;
import ggufc.ir.TensorData;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.lift.LlamaLifter;
import java.util.Map;
import java.util.function.Function;

/** Runs a lifted step graph on the reference interpreter (the oracle backend). */
public final class InterpreterExecutor implements StepExecutor {
    private final Interpreter interpreter;
    private final int ctx;
    private final int vocab;

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
