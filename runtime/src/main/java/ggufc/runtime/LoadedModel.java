package ggufc.runtime;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaHparams;
import ggufc.lift.LlamaLifter;
import ggufc.passes.PassContext;
import ggufc.passes.PassManager;
import ggufc.passes.PassRegistry;
import ggufc.passes.Targets;
import ggufc.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * A GGUF model opened for generation: the mapped file, its tokenizer, the lifted step graph and an
 * executor. {@code try (var m = LoadedModel.open(path, ctx)) { m.generator().generate(...); }}
 */
public final class LoadedModel implements AutoCloseable {
    private final GgufFile file;
    private final Tokenizer tokenizer;
    private final LlamaHparams hparams;
    private final Graph graph;
    private final StepExecutor executor;

    private LoadedModel(GgufFile file, Tokenizer tokenizer, LlamaHparams hparams, Graph graph, StepExecutor executor) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.hparams = hparams;
        this.graph = graph;
        this.executor = executor;
    }

    /**
     * Opens {@code path} with a KV cache of {@code ctx} tokens (0: the model's training context),
     * its graph compiled by the interp target's default pipeline: fused, and with llama.cpp's CPU
     * numerics (activations rounded to each weight's vec_dot_type), so that logits on quantized
     * models follow llama.cpp's.
     */
    public static LoadedModel open(Path path, int ctx, DType kvType, boolean allLogits) {
        return open(path, ctx, kvType, allLogits, "default");
    }

    /** As {@link #open(Path, int, DType, boolean)} with the given {@code --passes} list for the interp target ({@code none}: the lifted graph). */
    public static LoadedModel open(Path path, int ctx, DType kvType, boolean allLogits, String passes) {
        GgufFile f = GgufFile.open(path);
        try {
            LlamaLifter.requireSupported(f);
            Tokenizer tok = Tokenizer.fromGguf(f);
            LlamaHparams hp = LlamaHparams.read(f);
            int n = ctx > 0 ? ctx : hp.ctxTrain();
            Graph lifted = LlamaLifter.lift(f, new LlamaLifter.Options(n, allLogits, kvType));
            GgufWeights weights = new GgufWeights(f);
            Graph g = new PassManager(PassRegistry.parse(passes, Targets.INTERP), PassManager.Options.defaults())
                    .run(lifted, new PassContext(Targets.INTERP, weights)).graph();
            return new LoadedModel(f, tok, hp, g, new InterpreterExecutor(g, weights, n));
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    public GgufFile file() { return file; }
    public Tokenizer tokenizer() { return tokenizer; }
    public LlamaHparams hparams() { return hparams; }
    public Graph graph() { return graph; }
    public StepExecutor executor() { return executor; }

    public Generator generator() { return new Generator(executor, tokenizer); }

    @Override
    public void close() {
        executor.close();
        file.close();
    }
}
