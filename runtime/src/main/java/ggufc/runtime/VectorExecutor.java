package ggufc.runtime;

import ggufc.codegen.vector.CompiledModel;
import ggufc.codegen.vector.ModelBinding;
import ggufc.codegen.vector.kernels.WorkerPool;
import ggufc.codegen.vector.plan.Plan;
import ggufc.lift.LlamaLifter;
import java.util.Arrays;

/**
 * Runs a step graph compiled for the CPU ({@link CompiledModel}: the generated class of an artifact
 * or the plan executor). A prompt longer than the model's step buffers is run in consecutive
 * chunks; a decode step is a one-token step (the generated code's matrix-vector path). The KV
 * caches are off-heap, sized by the binding's capacity ({@code --ctx}).
 */
public final class VectorExecutor implements StepExecutor {
    private final CompiledModel model;
    private final ModelBinding binding;
    private final WorkerPool pool;
    private final int tokensInput, positionsInput, logitsOutput, vocab;
    private final boolean allLogits;
    private final int[][] inputs = new int[2][];

    /**
     * @param plan the plan the model was made from (its inputs, outputs and logits shape)
     * @param pool owned by this executor (closed with it), as is the binding
     */
    /** The artifact folder whose compiled class this runs, or null for an in-memory plan. */
    private final java.nio.file.Path artifact;

    public VectorExecutor(CompiledModel model, Plan plan, ModelBinding binding, WorkerPool pool) {
        this(model, plan, binding, pool, new WorkerPool[0]);
    }

    /** As above with the worker pools of the other CPU sub-devices of a split run, owned by this executor too. */
    public VectorExecutor(CompiledModel model, Plan plan, ModelBinding binding, WorkerPool pool, WorkerPool[] devicePools) {
        this(model, plan.inputs().indexOf(LlamaLifter.TOKENS), plan.inputs().indexOf(LlamaLifter.POSITIONS),
                plan.outputIndex(LlamaLifter.LOGITS), (int) plan.outputs().get(plan.outputIndex(LlamaLifter.LOGITS)).rowLength(),
                plan.outputs().get(plan.outputIndex(LlamaLifter.LOGITS)).size().perToken(), binding, pool);
        this.devicePools = devicePools.clone();
        this.hiddenOutput = plan.outputIndex(LlamaLifter.HIDDEN);
        this.hiddenWidth = hiddenOutput < 0 ? 0 : (int) plan.outputs().get(hiddenOutput).rowLength();
    }

    /** The plan's output {@code hidden} and its row length (-1, 0: none known, as for an artifact compiled without an MTP draft). */
    private int hiddenOutput = -1, hiddenWidth;

    /** An artifact's output {@code hidden} (index {@code output}, rows of {@code width}), from its manifest: what an MTP drafter reads. */
    public VectorExecutor withHidden(int output, int width) {
        this.hiddenOutput = output;
        this.hiddenWidth = width;
        return this;
    }
    /** Tokens of the last step, and the first of them its last chunk ran (what the outputs hold now). */
    private int lastStepTokens, lastChunkStart;
    /** The hidden rows of a step's chunks before its last (a prompt longer than the plan's tokens): an MTP drafter reads every row. */
    private float[] earlierHidden = new float[0];

    private WorkerPool[] devicePools = new WorkerPool[0];

    public VectorExecutor(CompiledModel model, int tokensInput, int positionsInput, int logitsOutput, int vocab, boolean allLogits,
                          ModelBinding binding, WorkerPool pool) {
        this(model, tokensInput, positionsInput, logitsOutput, vocab, allLogits, binding, pool, null);
    }

    /** As above for the compiled class of the artifact folder {@code artifact}, whose failures are reported as the artifact's. */
    public VectorExecutor(CompiledModel model, int tokensInput, int positionsInput, int logitsOutput, int vocab, boolean allLogits,
                          ModelBinding binding, WorkerPool pool, java.nio.file.Path artifact) {
        this.artifact = artifact;
        if (tokensInput < 0 || positionsInput < 0 || logitsOutput < 0) throw new IllegalArgumentException("not a llama step: needs inputs tokens and pos and output logits");
        // a step graph has exactly these two inputs; an artifact's manifest says which is which
        if (tokensInput > 1 || positionsInput > 1 || tokensInput == positionsInput) {
            throw new IllegalArgumentException("inputs " + tokensInput + " (tokens) and " + positionsInput + " (pos) are not the step's two inputs");
        }
        if (vocab < 1) throw new IllegalArgumentException("vocabulary size " + vocab + " is not positive");
        float[] logits = model.output(logitsOutput); // refuses an output the model does not have
        if (logits.length < (long) vocab * (allLogits ? model.maxTokens() : 1)) {
            throw new IllegalArgumentException("output " + logitsOutput + " holds " + logits.length + " values, fewer than the logits of vocabulary " + vocab);
        }
        this.model = model;
        this.binding = binding;
        this.pool = pool;
        this.tokensInput = tokensInput;
        this.positionsInput = positionsInput;
        this.logitsOutput = logitsOutput;
        this.vocab = vocab;
        this.allLogits = allLogits;
    }

    @Override
    public float[] step(int[] tokens, int startPos) {
        float[][] all = run(tokens, startPos, false);
        return all[all.length - 1];
    }

    /**
     * Verify steps of at most this many tokens run the decode kernels token by token on each slice
     * of weight rows ({@link ggufc.codegen.vector.kernels.MatMul#rowwise}): the weights are read once,
     * and each row's logits are those a one-token step gives. System property
     * {@code ggufc.verify.rowwise} (0: the prompt kernels).
     */
    static final int VERIFY_ROWWISE = Integer.getInteger("ggufc.verify.rowwise", 16);

    @Override
    public float[][] stepAll(int[] tokens, int startPos) {
        if (!allLogits) return StepExecutor.super.stepAll(tokens, startPos);
        float[][][] r = new float[1][][];
        ggufc.codegen.vector.kernels.MatMul.rowwise(VERIFY_ROWWISE, () -> r[0] = run(tokens, startPos, true));
        return r[0];
    }

    /**
     * Runs {@code tokens} from {@code startPos}; returns the logits of every token when the graph
     * computes them ({@code allLogits} lift) and {@code everyRow} is set, else those of the last.
     */
    public float[][] run(int[] tokens, int startPos, boolean everyRow) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to run");
        if (startPos + tokens.length > binding.capacity()) {
            throw new IllegalArgumentException("context full: " + (startPos + tokens.length) + " tokens > --ctx " + binding.capacity());
        }
        boolean every = everyRow && allLogits;
        float[][] rows = new float[every ? tokens.length : 1][];
        int max = model.maxTokens();
        for (int done = 0; done < tokens.length; ) {
            int T = Math.min(max, tokens.length - done);
            int[] ids = Arrays.copyOfRange(tokens, done, done + T), pos = new int[T];
            for (int i = 0; i < T; i++) pos[i] = startPos + done + i;
            inputs[tokensInput] = ids;
            inputs[positionsInput] = pos;
            try {
                model.step(T, startPos + done + T, inputs);
            } catch (RuntimeException e) {
                if (artifact == null) throw e;
                throw new ggufc.runtime.artifact.ArtifactCodeException(artifact, e);
            }
            lastChunkStart = done;
            if (hiddenOutput >= 0 && allLogits && done + T < tokens.length) {
                if (earlierHidden.length < (done + T) * hiddenWidth) earlierHidden = Arrays.copyOf(earlierHidden, tokens.length * hiddenWidth);
                System.arraycopy(model.output(hiddenOutput), 0, earlierHidden, done * hiddenWidth, T * hiddenWidth);
            }
            float[] out = model.output(logitsOutput);
            if (every) {
                for (int i = 0; i < T; i++) rows[done + i] = Arrays.copyOfRange(out, i * vocab, (i + 1) * vocab);
            } else if (done + T == tokens.length) {
                int last = allLogits ? T - 1 : 0;
                rows[0] = Arrays.copyOfRange(out, last * vocab, (last + 1) * vocab);
            }
            done += T;
        }
        lastStepTokens = tokens.length;
        return rows;
    }

    @Override
    public float[] hiddenRow(int row) {
        if (hiddenOutput < 0 || !allLogits) return StepExecutor.super.hiddenRow(row);
        int r = row < 0 ? lastStepTokens + row : row;
        if (r < 0 || r >= lastStepTokens) throw new IllegalArgumentException("row " + row + " of a step of " + lastStepTokens + " tokens");
        if (r < lastChunkStart) return Arrays.copyOfRange(earlierHidden, r * hiddenWidth, (r + 1) * hiddenWidth);
        int at = (r - lastChunkStart) * hiddenWidth;
        return Arrays.copyOfRange(model.output(hiddenOutput), at, at + hiddenWidth);
    }

    @Override
    public void reset() { model.reset(); }

    @Override
    public int contextSize() { return binding.capacity(); }

    @Override
    public int vocabSize() { return vocab; }

    public int threads() { return pool.threads(); }

    /** Whether the model computes every position's logits ({@link #stepAll} works). */
    public boolean allLogits() { return allLogits; }

    @Override
    public void close() {
        model.close();
        binding.close();
        pool.close();
        for (WorkerPool p : devicePools) p.close();
    }
}
