package ggufc.runtime;

import ggufc.codegen.vector.kernels.NativeKernels;
import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaHparams;
import ggufc.lift.Lifters;
import ggufc.lift.LlamaLifter;
import ggufc.passes.PassContext;
import ggufc.passes.PassManager;
import ggufc.passes.PassRegistry;
import ggufc.passes.Targets;
import ggufc.tokenizer.Tokenizer;
import ggufc.codegen.vector.CompiledModel;
import ggufc.codegen.vector.ModelBinding;
import ggufc.codegen.vector.SourceCompiler;
import ggufc.codegen.vector.kernels.WorkerPool;
import ggufc.codegen.vector.plan.Lowering;
import ggufc.codegen.vector.plan.Plan;
import ggufc.codegen.vector.plan.PlanExecutor;
import ggufc.ir.text.IrParser;
import ggufc.runtime.artifact.Artifact;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A GGUF model opened for generation: the mapped file, its tokenizer, the lifted step graph and an
 * executor. {@code try (var m = LoadedModel.open(path, ctx)) { m.generator().generate(...); }}
 */
public final class LoadedModel implements AutoCloseable {
    private final GgufFile file;
    private final Tokenizer tokenizer;
    private final LlamaHparams hparams;
    private final Supplier<Graph> graph;
    private final StepExecutor executor;
    private final long kvCacheBytes;
    /** Layer count k to the early-exit draft step sharing the executor's caches; null where not supported. */
    private java.util.function.IntFunction<StepExecutor> earlyExit;
    /** A gemma4-assistant file to its draft step reading the executor's caches; null where not supported. */
    private java.util.function.Function<GgufFile, ggufc.runtime.spec.AssistantDrafter.Step> assistant;
    /** The draft step of the MTP (nextn) block in the model's own file, with a KV cache of its own; null where not supported. */
    private Supplier<ggufc.runtime.spec.MtpDrafter.Step> mtp;
    /** A fitted projection to the fitted head's draft step ({@code ggufc.lift.FittedHeadLifter}); null where not supported. */
    private java.util.function.Function<float[], ggufc.runtime.spec.AssistantDrafter.Step> fitted;

    private LoadedModel(GgufFile file, Tokenizer tokenizer, LlamaHparams hparams, Supplier<Graph> graph, StepExecutor executor, long kvCacheBytes,
                        java.util.function.IntFunction<StepExecutor> earlyExit, java.util.function.Function<GgufFile, ggufc.runtime.spec.AssistantDrafter.Step> assistant,
                        Supplier<ggufc.runtime.spec.MtpDrafter.Step> mtp) {
        this(file, tokenizer, hparams, graph, executor, kvCacheBytes);
        this.earlyExit = earlyExit;
        this.assistant = assistant;
        this.mtp = mtp;
    }

    private LoadedModel(GgufFile file, Tokenizer tokenizer, LlamaHparams hparams, Supplier<Graph> graph, StepExecutor executor, long kvCacheBytes) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.hparams = hparams;
        this.graph = graph;
        this.executor = executor;
        this.kvCacheBytes = kvCacheBytes;
    }

    /** {@code s}, evaluated once, on first use. */
    private static <T> Supplier<T> lazy(Supplier<T> s) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) value = s.get();
                return value;
            }
        };
    }

    /** How a model's steps run. */
    public enum Backend {
        /** The reference interpreter (the oracle; slow on big models). */
        INTERPRETER,
        /** The vector target's kernels, walking the lowered plan in memory (no Java compiler needed). */
        VECTOR
    }

    /**
     * Opens {@code path} with a KV cache of {@code ctx} tokens (0: {@link KvBudget#context the default}), on
     * the interpreter, its graph compiled by the interp target's default pipeline: fused, and with
     * llama.cpp's CPU numerics (activations rounded to each weight's vec_dot_type), so that logits
     * on quantized models follow llama.cpp's.
     */
    public static LoadedModel open(Path path, int ctx, DType kvType, boolean allLogits) {
        return open(path, ctx, kvType, allLogits, Backend.INTERPRETER, 1, "default");
    }

    /** On the interpreter, with the given {@code --passes} list for the interp target ({@code none}: the lifted graph). */
    public static LoadedModel open(Path path, int ctx, DType kvType, boolean allLogits, String passes) {
        return open(path, ctx, kvType, allLogits, Backend.INTERPRETER, 1, passes);
    }

    /** Opens {@code path} on {@code backend}; {@code threads} sizes the vector backend's worker pool. */
    public static LoadedModel open(Path path, int ctx, DType kvType, boolean allLogits, Backend backend, int threads) {
        return open(path, ctx, kvType, allLogits, backend, threads, "default");
    }

    /**
     * Opens {@code path} on {@code backend}: the graph that {@code passes} (a {@code --passes} list,
     * {@code default} being the backend's target pipeline: interp or vector) make of the lifted one,
     * interpreted or lowered to the vector kernels.
     */
    public static LoadedModel open(Path path, int ctx, DType kvType, boolean allLogits, Backend backend, int threads, String passes) {
        return open(GgufFile.open(path), ctx, kvType, allLogits, backend, threads, passes);
    }

    /**
     * As above on a file already parsed ({@link GgufFile#parse} of bytes in memory, say), which the
     * model owns from here: closed with it, or at once on failure. Every failure names the file.
     */
    public static LoadedModel open(GgufFile f, int ctx, DType kvType, boolean allLogits, Backend backend, int threads, String passes) {
        return open(f, ctx, kvType, allLogits, backend, threads, passes, SplitConfig.NONE);
    }

    /**
     * As above, split over several devices by {@code split} ({@link SplitConfig}): the split pass runs on the lifted
     * graph, then the backend's pipeline on the placed one; on the vector backend each CPU sub-device runs its steps
     * on its own threads.
     */
    public static LoadedModel open(GgufFile f, int ctx, DType kvType, boolean allLogits, Backend backend, int threads, String passes, SplitConfig split) {
        if (backend == Backend.VECTOR) Prefault.start(f.bytes());
        Path path = f.path();
        try {
            LlamaHparams hp = Lifters.hparams(f);
            Tokenizer tok = tokenizer(f, hp);
            int n = KvBudget.context(ctx, hp.ctxTrain());
            Graph unsplit = Lifters.lift(f, new LlamaLifter.Options(n, allLogits, kvType));
            java.util.function.Function<String, ggufc.ir.TensorData> sliced = ggufc.ir.Slices.wrap(new GgufWeights(f));
            if (split.active() && !split.cpuOnly()) throw new IllegalArgumentException("--split-mode over " + split.devices() + ": only CPU sub-devices (cpu:0,cpu:1,...) are supported here so far");
            Graph lifted = split.apply(unsplit, new PassContext(backend == Backend.VECTOR ? Targets.VECTOR : Targets.INTERP, sliced));
            if (backend == Backend.VECTOR) {
                long perToken = KvBudget.bytesPerToken(unsplit);
                KvBudget.check(path, n, perToken, KvBudget.Memory.NATIVE);
                // the vector target's pipeline ("default": the one `ggufc compile` runs), so a plan computes what the
                // artifact computes: fused kernels and llama.cpp's activation rounding for quantized matmuls
                java.util.function.Function<String, ggufc.ir.TensorData> weights = sliced;
                Graph g = pipeline(passes, Targets.VECTOR, lifted, weights);
                Plan plan = Lowering.lower(g, allLogits ? 64 : 256, !"false".equals(System.getProperty("ggufc.pack-small")));
                int[] perDevice = split.active() ? split.threadsPerDevice(threads) : new int[] {threads};
                WorkerPool pool = new WorkerPool(perDevice[0]);
                WorkerPool[] pools = new WorkerPool[perDevice.length];
                pools[0] = pool;
                for (int d = 1; d < pools.length; d++) pools[d] = new WorkerPool(perDevice[d]);
                ModelBinding binding = new ModelBinding(weights, pool, n);
                PlanExecutor pe = new PlanExecutor(plan, binding, null, pools);
                VectorExecutor ex = new VectorExecutor(pe, plan, binding, pool, java.util.Arrays.copyOfRange(pools, 1, pools.length));
                // the early-exit drafter: the lifted graph's first k layers and the head, through the same pipeline as the
                // target (one module: the draft computes its layers as the target does), sharing the target's KV caches by name
                java.util.function.IntFunction<StepExecutor> ee = k -> {
                    Graph d = withDraft(g, ggufc.passes.spec.InsertDraftHead.module(unsplit, k), passes, Targets.VECTOR, weights,
                            x -> split.apply(x, new PassContext(Targets.VECTOR, sliced)));
                    Plan dp = Lowering.lower(d, 1);
                    // never closed on its own: binding and pools are the target's
                    return new VectorExecutor(new PlanExecutor(dp, binding, pe, pools), dp, binding, pool);
                };
                // a gemma4-assistant's draft step: the draft graph through the same pipeline (so that a quantized assistant's
                // activations are rounded as llama.cpp rounds them: its drafts are compared with llama.cpp's), on its own
                // weights (and the target's embedding), reading the target plan's caches by name
                LlamaLifter.Options targetOpt = new LlamaLifter.Options(n, allLogits, kvType);
                java.util.function.Function<GgufFile, ggufc.runtime.spec.AssistantDrafter.Step> as = a -> {
                    java.util.function.Function<String, ggufc.ir.TensorData> dw = ggufc.lift.Gemma4AssistantLifter.weights(a, f);
                    Graph d = pipeline(passes, Targets.VECTOR, ggufc.lift.Gemma4AssistantLifter.liftDraft(a, f, targetOpt), dw);
                    assistantReadsTargetCaches(d, g);
                    return ggufc.runtime.spec.AssistantSteps.vector(Lowering.lower(d, 1), new ModelBinding(dw, pool, n), pe);
                };
                // the MTP block in this file (hy_v3): the same pipeline, on the target's weights, with a cache of its own; its
                // outputs are the last row's (the catch-up after a target step writes cache rows only)
                Supplier<ggufc.runtime.spec.MtpDrafter.Step> mtp = () -> {
                    Graph d = pipeline(passes, Targets.VECTOR, ggufc.lift.HyV3Lifter.liftDraft(f, new LlamaLifter.Options(n, false, kvType)), weights);
                    ggufc.ir.Verifier.verify(ggufc.ir.GraphModule.of(g.name(), g, d));
                    return ggufc.runtime.spec.MtpSteps.vector(Lowering.lower(d, 64), binding);
                };
                // the fitted head's draft step: its graph through the same pipeline, on the target's weights and the fitted
                // projection, with no cache (it reads the target's hidden row, not its caches)
                java.util.function.Function<float[], ggufc.runtime.spec.AssistantDrafter.Step> fit = proj -> {
                    java.util.function.Function<String, ggufc.ir.TensorData> fw = ggufc.runtime.spec.FittedHead.withProjection(weights, proj, hp.nEmbd());
                    Graph d = pipeline(passes, Targets.VECTOR, ggufc.lift.FittedHeadLifter.liftDraft(f, new LlamaLifter.Options(n, false, kvType)), fw);
                    return ggufc.runtime.spec.AssistantSteps.vector(Lowering.lower(d, 1), new ModelBinding(fw, pool, n), pe);
                };
                LoadedModel lm = new LoadedModel(f, tok, hp, () -> g, ex, n * perToken, ee, as, mtp);
                lm.fitted = fit;
                return lm;
            }
            // the interpreter keeps every cache as one f32 array on the heap
            long perToken = KvBudget.bytesPerToken(unsplit, DType.F32);
            InterpreterExecutor.checkArraySizes(path, unsplit);
            KvBudget.check(path, n, perToken, KvBudget.Memory.HEAP);
            java.util.function.Function<String, ggufc.ir.TensorData> weights = sliced;
            Graph g = pipeline(passes, Targets.INTERP, lifted, weights);
            InterpreterExecutor ex = new InterpreterExecutor(g, weights, n);
            java.util.function.IntFunction<StepExecutor> ee = k -> ex.sharingCaches(withDraft(g, ggufc.passes.spec.InsertDraftHead.module(unsplit, k), passes, Targets.INTERP, weights,
                    x -> split.apply(x, new PassContext(Targets.INTERP, sliced))));
            LlamaLifter.Options targetOpt = new LlamaLifter.Options(n, allLogits, kvType);
            java.util.function.Function<GgufFile, ggufc.runtime.spec.AssistantDrafter.Step> as = a -> {
                java.util.function.Function<String, ggufc.ir.TensorData> dw = ggufc.lift.Gemma4AssistantLifter.weights(a, f);
                Graph d = pipeline(passes, Targets.INTERP, ggufc.lift.Gemma4AssistantLifter.liftDraft(a, f, targetOpt), dw);
                assistantReadsTargetCaches(d, g);
                return ggufc.runtime.spec.AssistantSteps.interpreter(ex.sharingCaches(d, dw));
            };
            Supplier<ggufc.runtime.spec.MtpDrafter.Step> mtp = () -> ggufc.runtime.spec.MtpSteps.interpreter(
                    ex.sharingCaches(pipeline(passes, Targets.INTERP, ggufc.lift.HyV3Lifter.liftDraft(f, new LlamaLifter.Options(n, false, kvType)), weights), weights));
            LoadedModel lm = new LoadedModel(f, tok, hp, () -> g, ex, n * perToken, ee, as, mtp);
            lm.fitted = proj -> {
                java.util.function.Function<String, ggufc.ir.TensorData> fw = ggufc.runtime.spec.FittedHead.withProjection(weights, proj, hp.nEmbd());
                return ggufc.runtime.spec.AssistantSteps.interpreter(ex.sharingCaches(pipeline(passes, Targets.INTERP,
                        ggufc.lift.FittedHeadLifter.liftDraft(f, new LlamaLifter.Options(n, false, kvType)), fw), fw));
            };
            return lm;
        } catch (RuntimeException e) {
            f.close();
            throw namingFile(path, e);
        }
    }

    /**
     * The file's tokenizer, whose token count must be the embedding's row count (llama.cpp builds
     * token_embd as [n_embd, n_vocab] from the tokenizer): else a token id could index past the table.
     */
    static Tokenizer tokenizer(GgufFile f, LlamaHparams hp) {
        Tokenizer tok = Tokenizer.fromGguf(f);
        if (tok.vocabSize() != hp.vocab()) {
            throw new GgufException(f.path(), "tensor 'token_embd.weight' has " + hp.vocab() + " rows but the tokenizer has " + tok.vocabSize() + " tokens (they must be equal)");
        }
        return tok;
    }

    /**
     * {@code e} as one message naming {@code file}: a problem found past the reader and the lifter
     * (a pass, the lowering, a kernel's limits) is still the file's, and the user sees which.
     */
    public static RuntimeException namingFile(Path file, RuntimeException e) {
        boolean refusal = e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof UnsupportedOperationException
                || e instanceof ggufc.ir.IrException || e instanceof ggufc.passes.PassException;
        // a bug (a null pointer, an index out of bounds) stays what it is, and so does a bad option
        if (!refusal || e.getMessage() == null || e.getMessage().startsWith("--")) return e;
        return new GgufException(file, e.getMessage().lines().findFirst().orElse(""), e);
    }

    /**
     * Opens {@code path} on a GPU device ({@code opencl:N}, {@code opencl:N:spirv}, {@code cuda:N}; see
     * {@link ggufc.runtime.device.Devices}): the lifted graph with llama.cpp's activation types for
     * quantized matmuls ({@link ggufc.codegen.tornado.lower.LlamaCppActivations}), lowered to the
     * device's kernels; weights and KV cache live on the device.
     */
    public static LoadedModel openOnDevice(Path path, int ctx, DType kvType, String device) { return openOnDevice(path, ctx, kvType, device, false); }

    /** As above; {@code allLogits}: every position's logits (speculative decoding's verify step, {@code stepAll}). */
    public static LoadedModel openOnDevice(Path path, int ctx, DType kvType, String device, boolean allLogits) {
        GgufFile f = GgufFile.open(path);
        try {
            LlamaHparams hp = Lifters.hparams(f);
            Tokenizer tok = tokenizer(f, hp);
            int n = KvBudget.context(ctx, hp.ctxTrain());
            // fold-constants decodes small weights (norm vectors) on the host: also those whose dtype has no GPU kernel (BF16)
            GgufWeights weights = new GgufWeights(f);
            Graph raw = Lifters.lift(f, new LlamaLifter.Options(n, allLogits, kvType));
            Graph lifted = new ggufc.passes.cleanup.FoldConstants().run(raw, new PassContext(Targets.OPENCL, weights));
            Graph g = ggufc.codegen.tornado.lower.LlamaCppActivations.apply(lifted);
            long perToken = KvBudget.bytesPerToken(g);
            ggufc.runtime.device.Device dev = ggufc.runtime.device.Devices.open(device);
            if (dev == null) throw new IllegalArgumentException("openOnDevice needs a GPU device, not '" + device + "'");
            try {
                KvBudget.check(path, n, perToken, "on " + dev.id(), dev.memoryBytes());
            } catch (RuntimeException e) {
                dev.close();
                throw e;
            }
            ggufc.runtime.device.DeviceExecutor ex = new ggufc.runtime.device.DeviceExecutor(g, weights, n, Math.min(n, 512), dev, true);
            // the early-exit draft step: a second device program whose KV caches are the target's device buffers (by name);
            // the module is made from the lifted graph (insert-draft-head reads the norm weights before they are folded)
            java.util.function.IntFunction<StepExecutor> ee = k -> {
                Graph d = ggufc.codegen.tornado.lower.LlamaCppActivations.apply(new ggufc.passes.cleanup.FoldConstants().run(
                        ggufc.passes.spec.InsertDraftHead.module(raw, k).graphs().get(1), new PassContext(Targets.OPENCL, weights)));
                ggufc.ir.Verifier.verify(ggufc.ir.GraphModule.of(g.name(), g, d));
                return new ggufc.runtime.device.DeviceExecutor(d, weights, n, 1, dev, false, ex);
            };
            return new LoadedModel(f, tok, hp, () -> g, ex, n * perToken, ee, null, null);
        } catch (RuntimeException e) {
            f.close();
            throw namingFile(path, e);
        }
    }

    /**
     * Opens {@code path} split over GPU devices or OpenCL sub-devices ({@code split}): the split pass on the lifted
     * graph, then the GPU preparation (folded constants, llama.cpp's activation types), each device running its part
     * with its own kernels ({@link ggufc.runtime.device.MultiDeviceExecutor}), collectives through the host.
     */
    public static LoadedModel openSplitOnDevices(Path path, int ctx, DType kvType, SplitConfig split) {
        GgufFile f = GgufFile.open(path);
        try {
            LlamaHparams hp = Lifters.hparams(f);
            Tokenizer tok = tokenizer(f, hp);
            int n = KvBudget.context(ctx, hp.ctxTrain());
            java.util.function.Function<String, ggufc.ir.TensorData> weights = ggufc.ir.Slices.wrap(new GgufWeights(f));
            Graph lifted = Lifters.lift(f, new LlamaLifter.Options(n, false, kvType));
            long perToken = KvBudget.bytesPerToken(lifted);
            Graph placed = split.apply(lifted, new PassContext(Targets.OPENCL, weights));
            placed = ggufc.ir.Placement.inherit(new ggufc.passes.cleanup.FoldConstants().run(placed, new PassContext(Targets.OPENCL, weights)));
            Graph g = ggufc.codegen.tornado.lower.LlamaCppActivations.apply(placed);
            java.util.List<ggufc.runtime.device.Device> devs = ggufc.runtime.device.Devices.openAll(split.devices());
            return new LoadedModel(f, tok, hp, () -> g, new ggufc.runtime.device.MultiDeviceExecutor(g, weights, n, Math.min(n, 512), devs), n * perToken);
        } catch (RuntimeException e) {
            f.close();
            throw namingFile(path, e);
        }
    }

    /**
     * Opens the artifact folder {@code dir} made by {@code ggufc compile}: verifies it and its GGUF
     * ({@code model}, or the path recorded at compile time when null), loads the compiled class and
     * binds it to the mapped weights. Nothing is compiled. {@code ctx} 0 keeps the compiled context.
     */
    public static LoadedModel openArtifact(Path dir, Path model, int ctx, int threads) {
        Artifact.Manifest m = Artifact.verify(dir, model);
        // the artifact's kernels: its native library (where this CPU runs it), or the Vector API kernels it was compiled for
        boolean nativeKernels = "native".equals(m.get("kernels")) && NativeKernels.missingCpuFlags() == null;
        if (nativeKernels && !NativeKernels.sourceKey().equals(m.get("kernels.source"))) {
            throw new IllegalStateException(dir + ": compiled with another version of the native kernels (kernels.source " + m.get("kernels.source") + ", this ggufc's "
                    + NativeKernels.sourceKey() + "); recompile with `ggufc compile`");
        }
        if (!NativeKernels.use(nativeKernels ? dir.resolve(m.require("kernels.library")) : null, m.get("kernels.source"))) {
            throw new IllegalStateException(dir + ": compiled for the " + (nativeKernels ? "native" : "Vector API") + " matmul kernels, and this process already runs "
                    + (NativeKernels.active() == null ? "the Vector API ones" : "another build of the native ones") + "; run it in a process of its own");
        }
        GgufFile f = GgufFile.open(model != null ? model : Path.of(m.require("model.path")));
        Prefault.start(f.bytes());
        WorkerPool pool = null;
        ModelBinding binding = null;
        try {
            LlamaHparams hp = Lifters.hparams(f);
            Tokenizer tok = tokenizer(f, hp);
            // the graph is for inspection only (the compiled class runs without it): parsed on first use
            Path ir = dir.resolve("model.ir");
            Supplier<Graph> g = lazy(() -> {
                try {
                    // the target graph: alone, or the first of the module that holds its draft step
                    return IrParser.parseAll(Files.readString(ir, StandardCharsets.UTF_8), ir.toString()).getFirst();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            int n = ctx > 0 ? ctx : m.getInt("ctx");
            long perToken = m.getLong("kv.bytes.per.token");
            KvBudget.check(f.path(), n, perToken, KvBudget.Memory.NATIVE);
            // a split artifact runs each CPU sub-device on its own thread: the threads divided among them
            String devs = m.get("split.devices");
            int devices = devs == null ? 1 : Integer.parseInt(devs);
            pool = new WorkerPool(Math.max(1, threads / devices));
            java.util.function.Function<String, ggufc.ir.TensorData> weights = ggufc.ir.Slices.wrap(new GgufWeights(f));
            String draftKind = m.get("draft");
            if ("fitted".equals(draftKind)) {
                // the head fitted at compile time: its projection from the artifact (checked by the manifest's checksum)
                weights = ggufc.runtime.spec.FittedHead.withProjection(weights, Artifact.readProjection(dir.resolve(m.require("draft.projection"))), hp.nEmbd());
            }
            binding = new ModelBinding(weights, pool, n);
            CompiledModel cm = SourceCompiler.instantiate(SourceCompiler.load(dir.resolve("classes"), m.require("class")), binding);
            StepExecutor ex = new VectorExecutor(cm, m.getInt("io.tokens"), m.getInt("io.pos"), m.getInt("io.logits"), m.getInt("io.vocab"),
                    Boolean.parseBoolean(m.require("io.all.logits")), binding, pool, dir);
            java.util.function.IntFunction<StepExecutor> ee = null;
            Supplier<ggufc.runtime.spec.MtpDrafter.Step> mtp = null;
            int compiledLayer = 0;
            ggufc.runtime.spec.AssistantDrafter.Step fittedStep = null;
            // the compiled draft step, on the same binding: an early exit's caches are the target's (by name), an MTP layer's
            // its own; an MTP layer and a fitted head read the target's hidden rows
            CompiledModel dm = draftKind == null ? null : SourceCompiler.instantiate(SourceCompiler.load(dir.resolve("classes"), m.require("draft.class")), binding);
            if ("fitted".equals(draftKind) || "mtp".equals(draftKind)) ((VectorExecutor) ex).withHidden(m.getInt("io.hidden"), m.getInt("io.hidden.width"));
            if ("fitted".equals(draftKind)) {
                fittedStep = ggufc.runtime.spec.AssistantSteps.vector(dm, m.getInt("draft.io.count"), m.getInt("draft.io.tokens"), m.getInt("draft.io.pos"),
                        m.getInt("draft.io.hidden"), m.getInt("draft.io.logits"), m.getInt("draft.io.next"), m.getInt("draft.io.vocab"), m.getInt("draft.io.width"), () -> {});
            } else if ("mtp".equals(draftKind)) {
                ggufc.runtime.spec.MtpDrafter.Step step = ggufc.runtime.spec.MtpSteps.vector(dm, m.getInt("draft.io.count"), m.getInt("draft.io.tokens"), m.getInt("draft.io.pos"),
                        m.getInt("draft.io.hidden"), m.getInt("draft.io.logits"), m.getInt("draft.io.next"), m.getInt("draft.io.vocab"), m.getInt("draft.io.width"));
                mtp = () -> step;
            } else if ("early-exit".equals(draftKind)) {
                StepExecutor draft = new VectorExecutor(dm, m.getInt("draft.io.tokens"), m.getInt("draft.io.pos"), m.getInt("draft.io.logits"), m.getInt("io.vocab"),
                        false, binding, pool, dir);
                int k = m.getInt("draft.layer");
                compiledLayer = k;
                ee = layer -> {
                    if (layer >= 0 && layer != k) throw new IllegalArgumentException(dir + " holds the early-exit draft step after " + k + " layers; for --draft-layer " + layer + " recompile with `ggufc compile --spec-type early-exit --draft-layer " + layer + "`");
                    return draft;
                };
            }
            LoadedModel lm = new LoadedModel(f, tok, hp, g, ex, binding.cacheBytes(), ee, null, mtp);
            lm.compiledDraftLayer = compiledLayer;
            lm.compiledDraftMax = m.get("draft.max") == null ? 0 : m.getInt("draft.max");
            lm.compiledFitted = fittedStep;
            return lm;
        } catch (RuntimeException e) {
            if (binding != null) binding.close();
            if (pool != null) pool.close();
            f.close();
            // one line naming the artifact (the GGUF's own problems name the GGUF)
            if (e instanceof GgufException || String.valueOf(e.getMessage()).contains(dir.toString())) throw e;
            throw new IllegalStateException(dir + ": " + e.getMessage(), e);
        }
    }

    public GgufFile file() { return file; }
    public Tokenizer tokenizer() { return tokenizer; }
    public LlamaHparams hparams() { return hparams; }
    /** The step graph (for an artifact: its optimized IR, parsed on first call). */
    public Graph graph() { return graph.get(); }
    public StepExecutor executor() { return executor; }
    /** The KV caches' size for the whole context (reserved; memory is taken as positions are used). */
    public long kvCacheBytes() { return kvCacheBytes; }

    /**
     * The early-exit draft step after the first {@code layer} layers (-1: three quarters of them), sharing this model's
     * KV caches (see {@code insert-draft-head}); for the vector backend and the interpreter.
     */
    public StepExecutor earlyExitDraft(int layer) {
        if (earlyExit == null) throw new UnsupportedOperationException("--spec-type early-exit needs the draft step: with --model it runs on the vector backend and the interpreter; "
                + "an artifact holds one when compiled with `ggufc compile --spec-type early-exit` (this one was not); not on a GPU --device yet");
        try {
            return earlyExit.apply(layer);
        } catch (RuntimeException e) {
            throw namingFile(file.path(), e);
        }
    }

    /**
     * The draft step of the gemma4-assistant {@code assistant} for this model (vector backend and interpreter with
     * --model), reading this model's caches; a file that is not an assistant for it is refused in one line naming it.
     */
    public ggufc.runtime.spec.AssistantDrafter.Step assistantStep(GgufFile assistant) {
        if (this.assistant == null) throw new UnsupportedOperationException("--spec-type draft-mtp runs on the vector backend and the interpreter with --model (not with --artifact or a GPU --device yet)");
        try {
            return this.assistant.apply(assistant);
        } catch (RuntimeException e) {
            throw namingFile(assistant.path(), e);
        }
    }

    /**
     * The draft step of the MTP (nextn) block in this model's own file (hy_v3; vector backend and interpreter with
     * --model), with a KV cache of its own; a file without one is refused in one line naming it.
     */
    public ggufc.runtime.spec.MtpDrafter.Step mtpStep() {
        if (mtp == null) throw new UnsupportedOperationException("--spec-type draft-mtp with the model's own MTP layer runs on the vector backend and the interpreter with --model, "
                + "and on an artifact compiled with `ggufc compile --spec-type draft-mtp` (this one was not); not on a GPU --device yet");
        try {
            return mtp.get();
        } catch (RuntimeException e) {
            throw namingFile(file.path(), e);
        }
    }

    /**
     * The fitted head's draft step ({@code --spec-type fitted}) with projection {@code proj} ([n_embd, 2·n_embd]
     * row-major), for the vector backend and the interpreter with --model.
     */
    public ggufc.runtime.spec.AssistantDrafter.Step fittedStep(float[] proj) {
        if (fitted == null) throw new UnsupportedOperationException("--spec-type fitted fits its head on the vector backend and the interpreter with --model (an artifact holds one "
                + "fitted at compile time: compiledFittedStep); not on a GPU --device");
        try {
            return fitted.apply(proj);
        } catch (RuntimeException e) {
            throw namingFile(file.path(), e);
        }
    }

    /** The layer count the early-exit head reads after for {@code layer} (-1: an artifact's compiled one, or three quarters of the layers). */
    public int draftLayer(int layer) { return layer < 0 && compiledDraftLayer > 0 ? compiledDraftLayer : ggufc.passes.spec.InsertDraftHead.resolve(graph(), layer); }

    /** An artifact's compiled early-exit layer (0: none, or not an artifact). */
    private int compiledDraftLayer;

    private int compiledDraftMax;

    private ggufc.runtime.spec.AssistantDrafter.Step compiledFitted;

    /** An artifact's compiled fitted draft head ({@code ggufc compile --spec-type fitted}), or null. */
    public ggufc.runtime.spec.AssistantDrafter.Step compiledFittedStep() { return compiledFitted; }

    /** The draft length an artifact was tuned for (`ggufc compile --draft-layer auto`), or 0. */
    public int compiledDraftMax() { return compiledDraftMax; }

    /**
     * The draft graph of {@code lifted} (a module of the lifted target and its draft step) through the pass pipeline,
     * checked beside the pipelined target {@code target} as one module (the states they share keep one type), and returned.
     */
    private static Graph withDraft(Graph target, ggufc.ir.GraphModule lifted, String passes, ggufc.passes.Target t, java.util.function.Function<String, ggufc.ir.TensorData> weights,
                                   java.util.function.UnaryOperator<Graph> split) {
        // on a split target the draft runs unsplit where the split keeps every cache whole (a layer or row split: CPU
        // sub-devices share memory, the draft binds the caches by name and runs on the first device's threads); where the
        // split shards the caches by head (tensor, graph), the draft step is split by the same pass, so its caches are the
        // same shards under the same names
        Graph draft = lifted.graphs().get(1);
        if (stateOutside(draft, target) != null) draft = split.apply(draft);
        draft = pipeline(passes, t, draft, weights);
        String outside = stateOutside(draft, target);
        if (outside != null) {
            throw new IllegalArgumentException("the early-exit draft step's KV cache '" + outside + "' is not one of the target's (the split pass placed "
                    + "the draft's caches otherwise than the target's): --spec-type early-exit does not run on this split");
        }
        ggufc.ir.Verifier.verify(new ggufc.ir.GraphModule(lifted.name(), java.util.List.of(target, draft)));
        return draft;
    }

    /**
     * A gemma4-assistant's draft step {@code d} beside its target {@code g}, verified as one module: it reads the target's
     * last sliding-window and global caches by name, which a tensor or graph split shards by head (refused in one line).
     */
    private static void assistantReadsTargetCaches(Graph d, Graph g) {
        if (stateOutside(d, g) != null) {
            throw new IllegalArgumentException("a gemma4-assistant reads the target's KV caches whole, and this split shards them by head: "
                    + "with --split-mode, draft-mtp with -md runs on a layer or row split");
        }
        ggufc.ir.Verifier.verify(ggufc.ir.GraphModule.of(g.name(), g, d));
    }

    /** The first state {@code draft} declares that {@code target} does not (by name), or null when it shares only the target's. */
    private static String stateOutside(Graph draft, Graph target) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (ggufc.ir.Node st : target.states()) names.add(st.attrs().string("name"));
        for (ggufc.ir.Node st : draft.states()) if (!names.contains(st.attrs().string("name"))) return st.attrs().string("name");
        return null;
    }

    /** {@code graph} through the pass pipeline {@code passes} for {@code target}, its params bound by {@code weights}. */
    private static Graph pipeline(String passes, ggufc.passes.Target target, Graph graph, java.util.function.Function<String, ggufc.ir.TensorData> weights) {
        return new PassManager(PassRegistry.parse(passes, target), PassManager.Options.defaults()).run(graph, new PassContext(target, weights)).graph();
    }

    public Generator generator() { return new Generator(executor, tokenizer); }

    @Override
    public void close() {
        executor.close();
        file.close();
    }
}
