package ggufc.cli;

import ggufc.ir.DType;
import ggufc.runtime.artifact.Artifact;
import ggufc.runtime.artifact.JvmCache;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Compile a GGUF model ahead of time into an artifact folder (optimized IR, generated Java, compiled classes, manifest).",
            "Run it with `ggufc run --artifact OUT`. Weights stay in the GGUF (memory-mapped at run time)."})
final class CompileCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Model file (path or a name looked up like `run --model`).")
    String model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Artifact folder to write (created; replaced if it holds an artifact).")
    Path out;

    @Option(names = "--target", defaultValue = "vector", description = "Code generator: vector (JDK Vector API on the CPU; default), or a GPU target: opencl (OpenCL C 1.2), ptx (sm_80 and sm_90), spirv (binary SPIR-V), tornado (a TornadoVM Maven project).")
    String target;

    @Option(names = {"-t", "--threads"}, description = "Default worker threads recorded in the artifact (default: available cores).")
    Integer threads;

    @Option(names = {"-c", "--ctx"}, defaultValue = "0", description = "KV cache size in tokens; 0 = 4096, or the model's training context when smaller (default). `run --ctx` can change it.")
    int ctx;

    @Option(names = "--kv-type", defaultValue = "f32", description = "KV cache element type: f32 or f16 (default: ${DEFAULT-VALUE}).")
    String kvType;

    @Option(names = "--passes", defaultValue = "default", paramLabel = "LIST",
            description = "Graph passes before lowering: 'default' (the vector target's pipeline), 'none', or comma-separated names, see `ggufc ir --list-passes` (default: ${DEFAULT-VALUE}).")
    String passes;

    @Option(names = "--batch", defaultValue = "256", description = "Most tokens per step (prompt chunk; sizes the activation buffers) (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--all-logits", description = "Compute every position's logits (needed by `run --artifact OUT --spec-type ngram`: the verify step reads every row; prompts then run the LM head on every token).")
    boolean allLogits;

    @Option(names = "--spec-type", paramLabel = "early-exit|draft-mtp|fitted", description = "Also compile a draft step as a second class, with every position's logits: "
            + "early-exit (after --draft-layer layers, sharing the target's KV caches), draft-mtp (a hy_v3 model's own MTP layer, with a cache of its own) or fitted "
            + "(a nextn-style head fitted here by self-distillation, its projection stored in the artifact); "
            + "`run --artifact OUT --spec-type ...` drafts with it. The IR (OUT/model.ir) is then the module of both graphs.")
    String specType;

    @Option(names = "--draft-layer", defaultValue = "-1", paramLabel = "K|auto", description = "With --spec-type early-exit: the draft reads the residual after the first K layers "
            + "(default: three quarters of the layers). auto: chosen here by measurement, with the draft length `run --artifact` then uses: each candidate layer's "
            + "agreement with the model on its own greedy continuation of --calibration-prompt, warm draft and verify step costs, the loop replayed for every pair "
            + "(as `ggufc bench --spec-type early-exit`); recorded in the manifest.")
    String draftLayer;

    @Option(names = "--calibration-prompt", defaultValue = "Once upon a time", paramLabel = "TEXT", description = "With --draft-layer auto: the prompt whose greedy continuation (64 tokens) the candidates are measured on (default: ${DEFAULT-VALUE}).")
    String calibrationPrompt;

    @Option(names = "--jvm-cache", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --target vector: after compiling, run the artifact once in a child JVM (8 tokens) to make OUT/jvm.aot, "
                    + "the JVM's AOT cache that `./ggufc run --artifact OUT` starts from (about 20 MB; on by default; --no-jvm-cache skips it).")
    boolean jvmCache;

    @Option(names = {"-dev", "--device"}, defaultValue = "cpu", paramLabel = "LIST", description = "CPU sub-devices to split the model over with --split-mode, e.g. cpu:0,cpu:1 (default: ${DEFAULT-VALUE}: no split).")
    String device;

    @picocli.CommandLine.Mixin
    SplitOptionsMixin split;

    /** --draft-layer auto: the calibration continuation's length and the longest draft tried. */
    static final int TUNE_TOKENS = 64, TUNE_DRAFT_MAX = 8;
    /** --spec-type fitted: the context the head's training text is generated in (each built-in prompt and 384 tokens after it). */
    static final int FIT_CONTEXT = 512;

    /**
     * The model run in this process to choose or fit a draft step (--draft-layer auto, --spec-type fitted): the vector
     * backend with this pipeline and these threads, every position's logits, a context of {@code ctx}.
     */
    private ggufc.runtime.LoadedModel measuring(Path gguf, int ctx, int threads) {
        return ggufc.runtime.LoadedModel.open(ggufc.gguf.GgufFile.open(gguf), ctx, DType.F32, true, ggufc.runtime.LoadedModel.Backend.VECTOR, threads, passes,
                ggufc.runtime.SplitConfig.NONE);
    }

    @Override
    public Integer call() throws java.io.IOException {
        DType kv = RunCommand.kvType(kvType);
        if (GpuTargets.handles(target)) {
            // GPU targets write kernels and the launch plan (see GpuTargets), not an artifact to run
            for (Path p : GpuTargets.compile(ModelLocator.resolve(model), target, out, ctx, batch, kv)) {
                System.out.printf("%s  %d bytes%n", p, java.nio.file.Files.isDirectory(p) ? 0 : java.nio.file.Files.size(p));
            }
            return 0;
        }
        if (!target.equals("vector")) throw new IllegalArgumentException("--target " + target + " is not available (targets: vector, " + String.join(", ", GpuTargets.TARGETS) + ")");
        if (specType != null && !specType.equals("early-exit") && !specType.equals("draft-mtp") && !specType.equals("fitted")) {
            throw new IllegalArgumentException("--spec-type: an artifact holds an early-exit draft step, a hy_v3 model's MTP layer or a fitted head (early-exit, draft-mtp or fitted), got '" + specType + "'");
        }
        boolean fitted = "fitted".equals(specType);
        if (!"early-exit".equals(specType) && !draftLayer.equals("-1")) throw new IllegalArgumentException("--draft-layer goes with --spec-type early-exit");
        boolean mtp = "draft-mtp".equals(specType);
        boolean auto = draftLayer.equals("auto");
        int layer;
        try {
            layer = auto ? -1 : Integer.parseInt(draftLayer);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--draft-layer must be a layer count >= 1 or auto, got '" + draftLayer + "'");
        }
        if (layer == 0 || layer < -1) throw new IllegalArgumentException("--draft-layer must be >= 1, got " + layer);
        Path gguf = ModelLocator.resolve(model);
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        long t0 = System.nanoTime();
        int draftMax = 0;
        String choice = null;
        if (auto) {
            // measured in this process on the model itself (vector backend, this pipeline, these threads)
            int tuneCtx = calibrationPrompt.length() + 2 + TUNE_TOKENS + TUNE_DRAFT_MAX + 8;
            try (ggufc.runtime.LoadedModel lm = measuring(gguf, tuneCtx, t)) {
                ggufc.runtime.spec.EarlyExitTuner.Tuning tn = ggufc.runtime.spec.EarlyExitTuner.tune(lm, calibrationPrompt, TUNE_TOKENS, TUNE_DRAFT_MAX, 2.0, tuneCtx,
                        msg -> System.err.println("ggufc: --draft-layer auto: " + msg));
                layer = tn.bestLayer();
                draftMax = tn.bestDraftMax();
                ggufc.runtime.spec.EarlyExitTuner.Replay r = tn.replay(layer, draftMax);
                choice = String.format(java.util.Locale.ROOT, "measured at compile time on the model's greedy continuation of \"%s\" (%d tokens, %d threads): acceptance %.3f, "
                        + "%.2f tokens per target step, predicted %.2fx plain decoding", calibrationPrompt, TUNE_TOKENS, t, r.acceptance(), r.tokensPerTargetStep(), tn.predicted());
                System.err.printf("ggufc: --draft-layer auto: after layer %d of %d, draft-max %d (%s)%n", layer, lm.hparams().nLayer(), draftMax, choice);
                if (tn.predicted() < 1) System.err.printf("ggufc: --draft-layer auto: no early exit pays on this model here (the best is predicted at %.2fx plain decoding); it is compiled all the same%n", tn.predicted());
            }
        }
        float[] projection = null;
        if (fitted) {
            // the head fitted here, in this process, as `run --spec-type fitted` fits it at load, and stored in the artifact
            long f0 = System.nanoTime();
            try (ggufc.runtime.LoadedModel lm = measuring(gguf, FIT_CONTEXT, t)) {
                ggufc.runtime.spec.FittedHead.Fit fit = ggufc.runtime.spec.FittedHead.fitAtLoad(lm.executor(), lm.tokenizer(), lm.file(), lm.hparams());
                projection = fit.proj();
                choice = String.format(java.util.Locale.ROOT, "fitted at compile time (projection only, no block): %d self-generated tokens, train loss %.3f, agreement %.3f on %d held-out tokens",
                        fit.trainTokens(), fit.trainLoss(), fit.heldOutAgreement(), fit.heldOutTokens());
                System.err.printf("ggufc: %s, %d ms%n", choice, (System.nanoTime() - f0) / 1_000_000);
            }
        }
        Artifact.Manifest m;
        try (ProgressBar pb = ProgressBars.builder("compile").setInitialMax(Artifact.STAGES.size()).hideEta().build()) {
            List<ggufc.passes.Pass> all = new java.util.ArrayList<>();
            ggufc.runtime.SplitConfig sc = split.config(ggufc.runtime.SplitConfig.parseDevices(device));
            if (sc.active()) {
                if (specType != null) throw new IllegalArgumentException("--spec-type does not go with --split-mode yet");
                if (!sc.cpuOnly()) throw new IllegalArgumentException("--split-mode in an artifact: only CPU sub-devices (cpu:0,cpu:1,...) so far, got " + sc.devices());
                all.add(ggufc.passes.split.SplitModes.pass(sc.mode(), sc.options()));
            }
            all.addAll(ggufc.passes.PassRegistry.parse(passes, ggufc.passes.Targets.VECTOR));
            Artifact.Pipeline pipeline = Artifact.Pipeline.of(all);
            m = Artifact.compile(gguf, out, new Artifact.Options(ctx, kv, batch, t, allLogits || specType != null, "early-exit".equals(specType) ? layer : 0, draftMax, choice, mtp, projection), pipeline, (i, name) -> {
                pb.stepTo(i);
                pb.setExtraMessage(name);
            });
            pb.stepTo(Artifact.STAGES.size());
            pb.setExtraMessage("done");
        }
        System.err.printf("ggufc: compiled %s -> %s (%s%s, %s, ctx %s) in %d ms%n", gguf.getFileName(), out, m.get("class"),
                m.get("draft.class") == null ? "" : "mtp".equals(m.get("draft")) ? " and its MTP layer's draft step, " + m.get("draft.class")
                        : "fitted".equals(m.get("draft")) ? " and its fitted head's draft step, " + m.get("draft.class")
                        : " and its early-exit draft step after " + m.get("draft.layer") + " layers, " + m.get("draft.class"), m.get("vector.shape"), m.get("ctx"),
                (System.nanoTime() - t0) / 1_000_000);
        if (jvmCache) {
            JvmCache.Result r = JvmCache.make(out, ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                    JvmCache.trainingOptions(ManagementFactory.getRuntimeMXBean().getInputArguments()), JvmCache.currentClassPath(), Main.class.getName(), List.of());
            if (r.skipped() != null) {
                System.err.printf("ggufc: %s: no JVM cache (%s); `run --artifact` starts without one%n", out, r.skipped());
            } else {
                System.err.printf("ggufc: JVM cache %s (%d MB) from a training run of %.1f s%n", r.file(), r.bytes() >> 20, r.millis() / 1000.0);
            }
        }
        return 0;
    }
}
