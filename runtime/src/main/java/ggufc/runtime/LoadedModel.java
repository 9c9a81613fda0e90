package ggufc.runtime;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaHparams;
import ggufc.lift.LlamaLifter;
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

    /** Opens {@code path} with a KV cache of {@code ctx} tokens (0: the model's training context). */
    public static LoadedModel open(Path path, int ctx, DType kvType, boolean allLogits) {
        return open(path, ctx, kvType, allLogits, "cpu");
    }

    /**
     * As {@link #open(Path, int, DType, boolean)}, running on {@code device}: {@code cpu} (the
     * interpreter) or a GPU device id ({@code opencl:0}, {@code cuda:0}, see
     * {@link ggufc.runtime.device.Devices}), where weights and KV cache live on the device.
     */
    public static LoadedModel open(Path path, int ctx, DType kvType, boolean allLogits, String device) {
        GgufFile f = GgufFile.open(path);
        try {
            LlamaLifter.requireSupported(f);
            Tokenizer tok = Tokenizer.fromGguf(f);
            LlamaHparams hp = LlamaHparams.read(f);
            int n = ctx > 0 ? ctx : hp.ctxTrain();
            Graph g = LlamaLifter.lift(f, new LlamaLifter.Options(n, allLogits, kvType));
            ggufc.runtime.device.Device dev = ggufc.runtime.device.Devices.open(device);
            // on a device, matmuls take llama.cpp's activation types (Q8_0 blocks for *_0 weights, f16 for f16 weights)
            StepExecutor ex = dev == null ? new InterpreterExecutor(g, new GgufWeights(f), n)
                    : new ggufc.runtime.device.DeviceExecutor(ggufc.codegen.tornado.lower.LlamaCppActivations.apply(g), new GgufWeights(f), n, Math.min(n, 512), dev, true);
            return new LoadedModel(f, tok, hp, g, ex);
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
