package ggufc.cli;

import ggufc.ir.DType;
import ggufc.runtime.Generator;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Generate text from a prompt. Only the generated text goes to stdout; logs go to stderr."})
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "GGUF", description = "Model file: a path, or a file name looked up in $GGUFC_MODELS, ./models, ../shared/models, ~/.cache/ggufc/models. With --artifact: the GGUF to bind (default: the one it was compiled from).")
    String model;

    @Option(names = {"-a", "--artifact"}, paramLabel = "DIR", description = "Run an artifact made by `ggufc compile` (nothing is compiled).")
    java.nio.file.Path artifact;

    @Option(names = "--backend", defaultValue = "vector", description = "Without --artifact: vector (the generated kernels' plan, no compiler needed) or interpreter (the reference) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = {"-dev", "--device"}, defaultValue = "cpu", description = "cpu (the --backend), or a GPU device: opencl:N, opencl:N:spirv or cuda:N (`ggufc devices` lists them), or a list of CPU sub-devices for a split run: cpu:0,cpu:1,... (each its own worker pool with its share of --threads) (default: ${DEFAULT-VALUE}).")
    String device;

    @picocli.CommandLine.Mixin
    SplitOptionsMixin splitOptions;

    @Option(names = {"-t", "--threads"}, description = "Worker threads (default: available cores).")
    Integer threads;

    @Option(names = {"-p", "--prompt"}, required = true, description = "Prompt text (BOS is added as the model's metadata says).")
    String prompt;

    @Option(names = {"-n", "--n-predict"}, defaultValue = "32", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int nPredict;

    @Option(names = "--temp", defaultValue = "0.8", description = "Temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "Keep the K most likely tokens, 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus sampling threshold in (0, 1] (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = {"-s", "--seed"}, defaultValue = "42", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-c", "--ctx", "--ctx-size"}, defaultValue = "0", description = "KV cache size in tokens; 0 = 4096, or the model's training context when smaller (llama.cpp's default). A context whose cache does not fit in memory is refused.")
    int ctx;

    @Option(names = "--kv-type", defaultValue = "f32", description = "KV cache element type: f32 or f16 (default: ${DEFAULT-VALUE}).")
    String kvType;

    @Option(names = "--ignore-eos", description = "Keep generating after an end-of-generation token.")
    boolean ignoreEos;

    @Option(names = "--warmup", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "As llama.cpp: before the prompt, one step on the BOS token (its KV rows then cleared), so the first prompt does not pay the first read of every weight page and the first run of each kernel; its time is in the load time. --no-warmup skips it.")
    boolean warmup = true;

    @Option(names = "--timings", description = "End with one line on stderr: load, prompt and decode speed; with --spec-type a second: drafted and accepted tokens, acceptance rate, target steps and tokens per target step.")
    boolean timings;

    @Option(names = "--passes", defaultValue = "default", paramLabel = "LIST",
            description = "With --model: passes run on the graph first ('default': the backend's pipeline, for the interpreter the interp target's, for the vector kernels the one `ggufc compile` runs: fused kernels and llama.cpp's activation rounding); 'none' runs the lifted graph (default: ${DEFAULT-VALUE}).")
    String passes;

    @Option(names = "--spec-type", defaultValue = "none", paramLabel = "TYPE",
            description = "Speculative decoding: none, ngram (prompt lookup: the latest earlier match of the last 4..1 tokens proposes what followed it), ngram-simple (llama.cpp's: see --spec-ngram-simple-size-n/-m), early-exit (the model's first --draft-layer layers through its final norm and LM head draft; vector backend and interpreter, or an artifact compiled with `ggufc compile --spec-type early-exit`; ngram and ngram-simple also run an artifact compiled with --all-logits) or draft-mtp (a gemma4-assistant given with -md drafts from the gemma4 model's hidden state, reading its KV cache; without -md, a hy_v3 model's own MTP (nextn) layer drafts, with a KV cache of its own; vector backend and interpreter) or fitted (a nextn-style head fitted at load by self-distillation, "
            + "projection only, no block: P · concat(rms_norm(embed(token)), hidden) through the model's final norm and LM head, P trained on greedy text the model writes from built-in prompts; "
            + "llama-family models, vector backend and interpreter with --model). With --temp 0 the text is exactly plain greedy decoding's; with sampling, speculative sampling keeps the target's distribution (not the plain run's draws for the seed) (default: ${DEFAULT-VALUE}).")
    String specType;

    @Option(names = {"--draft-max", "--spec-draft-n-max"}, paramLabel = "N", description = "At most N draft tokens per target step; ngram-simple takes --spec-ngram-simple-size-m instead, as llama.cpp "
            + "(default: 3, llama.cpp's; early-exit on an artifact compiled with --draft-layer auto: the length chosen there).")
    Integer draftMax;

    @Option(names = {"--draft-min", "--spec-draft-n-min"}, defaultValue = "0", paramLabel = "N", description = "Drafts shorter than N are dropped: a plain step instead (default: ${DEFAULT-VALUE}).")
    int draftMin;

    @Option(names = {"--draft-p-min", "--spec-draft-p-min"}, defaultValue = "0.0", paramLabel = "P", description = "early-exit, draft-mtp and fitted: stop drafting when the draft token's probability is below P (draft-mtp and fitted: among its 10 largest logits, as llama.cpp) (default: ${DEFAULT-VALUE}).")
    double draftPMin;

    @Option(names = "--spec-ngram-simple-size-n", defaultValue = "12", paramLabel = "N", description = "ngram-simple: the n-gram looked up (llama.cpp's default: ${DEFAULT-VALUE}).")
    int ngramSimpleN;

    @Option(names = "--spec-ngram-simple-size-m", defaultValue = "48", paramLabel = "M", description = "ngram-simple: at most M draft tokens after the match, not cut to --draft-max (as llama.cpp) (default: ${DEFAULT-VALUE}).")
    int ngramSimpleM;

    @Option(names = "--spec-trace", paramLabel = "FILE", description = "Write one line per target step as llama.cpp's reference loop (mtp.sh) prints it: step k: pos=.. id_last=.. draft=[..] target=[..] accepted=n.")
    java.nio.file.Path specTrace;

    @Option(names = {"-md", "--model-draft"}, paramLabel = "GGUF", description = "draft-mtp: the drafter, a gemma4-assistant GGUF for the gemma4 --model (looked up like --model).")
    String modelDraft;

    @Option(names = "--draft-layer", defaultValue = "-1", paramLabel = "K", description = "early-exit: the draft reads the residual after the first K layers (default: three quarters of the layers, rounded; `ggufc bench --spec-type early-exit` measures which pays; with --artifact: the layer it was compiled for).")
    int draftLayer;

    static DType kvType(String s) {
        return switch (s) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("--kv-type must be f32 or f16, got '" + s + "'");
        };
    }

    @Override
    public Integer call() {
        if (nPredict < 0) throw new IllegalArgumentException("-n must be >= 0, got " + nPredict);
        SamplerOptions sampling = new SamplerOptions(temperature, topK, topP, seed);
        DType kv = kvType(kvType);
        if (model == null && artifact == null) throw new IllegalArgumentException("give --model GGUF or --artifact DIR");
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        LoadedModel.Backend be = switch (backend) {
            case "vector" -> LoadedModel.Backend.VECTOR;
            case "interpreter" -> LoadedModel.Backend.INTERPRETER;
            default -> throw new IllegalArgumentException("--backend must be vector or interpreter, got '" + backend + "'");
        };
        long t0 = System.nanoTime();
        PrintStream out = System.out;
        boolean spec = switch (specType) {
            case "none" -> false;
            case "ngram", "ngram-simple", "early-exit", "draft-mtp", "fitted" -> true;
            default -> throw new IllegalArgumentException("--spec-type must be none, ngram, ngram-simple, early-exit, draft-mtp or fitted, got '" + specType + "'");
        };
        if (modelDraft != null && !specType.equals("draft-mtp")) throw new IllegalArgumentException("-md (--model-draft) goes with --spec-type draft-mtp");
        if (modelDraft != null && artifact != null) throw new IllegalArgumentException("-md runs with --model (an artifact holds no assistant; it may hold a hy_v3 model's own MTP layer: `ggufc compile --spec-type draft-mtp`)");
        java.util.List<String> devices = ggufc.runtime.SplitConfig.parseDevices(device);
        ggufc.runtime.SplitConfig split = splitOptions.config(devices);
        String mode = split.mode();
        if (split.active()) {
            if (artifact != null) throw new IllegalArgumentException("--split-mode with --artifact: compile the split into the artifact (`ggufc compile --split-mode ...`)");
            // (draft-mtp: checked where its draft step binds to the split target)
        }
        boolean gpu = devices.size() == 1 && !devices.get(0).startsWith("cpu");
        if (specType.equals("fitted") && gpu) throw new IllegalArgumentException("--spec-type fitted runs on the CPU (the vector backend, the interpreter, or an artifact compiled with `ggufc compile --spec-type fitted`), not on --device " + device);
        if (spec && gpu && specType.equals("draft-mtp")) throw new IllegalArgumentException("--spec-type draft-mtp runs on the CPU (the vector backend or the interpreter); on a GPU --device, ngram, ngram-simple and early-exit do");
        if (draftPMin < 0 || draftPMin > 1) throw new IllegalArgumentException("--draft-p-min must be in [0, 1], got " + draftPMin);
        if (gpu && artifact != null) throw new IllegalArgumentException("--artifact runs on the CPU; for --device " + device + " give --model");
        boolean gpuSplit = split.active() && !split.cpuOnly();
        if (gpuSplit && spec) throw new IllegalArgumentException("--spec-type " + specType + " runs on CPU sub-devices (--device cpu:0,cpu:1,...), not on a split over GPUs yet");
        if (gpuSplit && !backend.equals("vector")) throw new IllegalArgumentException("--backend " + backend + " runs on the CPU; a split over " + device + " runs the GPU kernels");
        try (LoadedModel m = gpuSplit ? LoadedModel.openSplitOnDevices(ModelLocator.resolve(model), ctx, kv, split)
                : gpu ? LoadedModel.openOnDevice(ModelLocator.resolve(model), ctx, kv, device, spec)
                : artifact != null ? LoadedModel.openArtifact(artifact, model == null ? null : ModelLocator.resolve(model), ctx, t)
                : LoadedModel.open(ggufc.gguf.GgufFile.open(ModelLocator.resolve(model)), ctx, kv, spec, be, t, passes, split)) {
            if (warmup) warmUp(m);
            long loadNanos = System.nanoTime() - t0;
            System.err.printf("ggufc: %s: %s, %d layers, %d embd, vocab %d, ctx %d, KV cache %s%s%n", m.file().path().getFileName(), m.hparams().arch(),
                    m.hparams().nLayer(), m.hparams().nEmbd(), m.hparams().vocab(), m.executor().contextSize(), ggufc.runtime.KvBudget.bytes(m.kvCacheBytes()),
                    m.executor() instanceof ggufc.runtime.device.DeviceExecutor d ? ", on " + d.device().id() + ": " + d.device().description()
                            : m.executor() instanceof ggufc.runtime.device.MultiDeviceExecutor md ? ", split " + mode + " over " + String.join(", ", md.devices().stream().map(d -> d.id() + " (" + d.description() + ")").toList()) + " (" + ggufc.passes.split.SplitStats.of(m.graph()).describe() + ")"
                            : split.active() ? ", split " + mode + " over " + String.join(",", devices) + " (" + ggufc.passes.split.SplitStats.of(m.graph()).describe() + ")" : "");
            ggufc.runtime.spec.Speculation speculation = null;
            if (specTrace != null && !spec) throw new IllegalArgumentException("--spec-trace needs a --spec-type");
            java.io.PrintWriter trace = null;
            if (specTrace != null) {
                try {
                    trace = new java.io.PrintWriter(java.nio.file.Files.newBufferedWriter(specTrace, java.nio.charset.StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("--spec-trace " + specTrace + ": " + e.getMessage(), e);
                }
            }
            if (spec && m.executor() instanceof ggufc.runtime.VectorExecutor v && !v.allLogits()) {
                throw new IllegalArgumentException("--spec-type " + specType + " needs every position's logits: " + artifact + " was compiled without them (recompile with `ggufc compile --all-logits`)");
            }
            ggufc.gguf.GgufFile assistantFile = null;
            ggufc.runtime.spec.AssistantDrafter.Step assistantStep = null;
            ggufc.runtime.spec.MtpDrafter.Step mtpStep = null;
            if (specType.equals("draft-mtp") && modelDraft == null) {
                String key = m.hparams().arch() + ".nextn_predict_layers";
                boolean nextn = m.file().has(key) && m.file().getLong(key) > 0;
                if (nextn && m.hparams().arch().equals(ggufc.lift.HyV3Lifter.ARCH)) {
                    mtpStep = m.mtpStep();
                } else {
                    throw new IllegalArgumentException(nextn ? "--spec-type draft-mtp without -md: the MTP (nextn) layers inside " + m.file().path().getFileName() + " (" + m.hparams().arch()
                            + ") are not read yet (only hy_v3's are); give a drafter with -md"
                            : m.file().path().getFileName() + ": has no MTP (nextn) layers (no '" + key + "'): --spec-type draft-mtp needs a drafter, -md ASSISTANT.gguf");
                }
            } else if (specType.equals("draft-mtp")) {
                assistantFile = ggufc.gguf.GgufFile.open(ModelLocator.resolve(modelDraft));
                try {
                    assistantStep = m.assistantStep(assistantFile);
                } catch (RuntimeException e) {
                    assistantFile.close();
                    throw e;
                }
            }
            if (specType.equals("fitted") && artifact != null) {
                assistantStep = m.compiledFittedStep();
                if (assistantStep == null) throw new IllegalArgumentException(artifact + " holds no fitted head: compile it with `ggufc compile --spec-type fitted`");
                System.err.println("ggufc: fitted head from the artifact (" + ggufc.runtime.artifact.Artifact.FITTED_PROJECTION + ")");
            } else if (specType.equals("fitted")) {
                long f0 = System.nanoTime();
                ggufc.runtime.spec.FittedHead.Fit fit = ggufc.runtime.spec.FittedHead.fitAtLoad(m.executor(), m.tokenizer(), m.file(), m.hparams());
                assistantStep = m.fittedStep(fit.proj());
                System.err.printf("ggufc: fitted head (projection only, no block): %d self-generated tokens, train loss %.3f, agreement %.3f on %d held-out tokens, %d ms%n",
                        fit.trainTokens(), fit.trainLoss(), fit.heldOutAgreement(), fit.heldOutTokens(), (System.nanoTime() - f0) / 1_000_000);
            }
            if (spec) {
                ggufc.runtime.spec.AssistantDrafter.Step as = assistantStep;
                ggufc.runtime.spec.MtpDrafter.Step own = mtpStep;
                ggufc.runtime.spec.Drafter drafter = switch (specType) {
                    case "ngram" -> new ggufc.runtime.spec.NgramDrafter();
                    case "ngram-simple" -> new ggufc.runtime.spec.NgramSimpleDrafter(ngramSimpleN, ngramSimpleM);
                    case "fitted" -> new ggufc.runtime.spec.AssistantDrafter(m.executor(), as, draftPMin);
                    case "draft-mtp" -> own != null ? new ggufc.runtime.spec.MtpDrafter(m.executor(), own, m.hparams().nEmbd(), draftPMin)
                            : new ggufc.runtime.spec.AssistantDrafter(m.executor(), as, draftPMin);
                    default -> new ggufc.runtime.spec.EarlyExitDrafter(m.earlyExitDraft(draftLayer), draftPMin);
                };
                int dmax = draftMax != null ? draftMax : specType.equals("early-exit") && m.compiledDraftMax() > 0 ? m.compiledDraftMax() : ggufc.runtime.spec.Speculation.DRAFT_MAX;
                int max = drafter instanceof ggufc.runtime.spec.NgramSimpleDrafter ns ? ns.sizeM() : dmax;
                speculation = new ggufc.runtime.spec.Speculation(drafter, max, Math.min(draftMin, max), trace == null ? null : trace::println);
                System.err.printf("ggufc: speculative decoding: %s%s, draft-max %d, draft-min %d%n", specType,
                        specType.equals("early-exit") ? " after layer " + m.draftLayer(draftLayer) + " of " + m.hparams().nLayer()
                                : specType.equals("draft-mtp") ? (own != null ? " with the MTP layer of " + m.file().path().getFileName() : " with " + assistantFile.path().getFileName()) : "",
                        max, speculation.draftMin());
            }
            Generator.Result r;
            try {
                r = m.generator().generate(prompt, nPredict, sampling, ignoreEos, piece -> {
                    out.print(piece);
                    out.flush();
                }, speculation);
            } finally {
                if (trace != null) trace.close();
                if (assistantStep != null) assistantStep.close();
                if (mtpStep != null) mtpStep.close();
                if (assistantFile != null) assistantFile.close();
            }
            out.println();
            out.flush();
            if (r.stopReason().equals("context")) System.err.println("ggufc: stopped: the context of " + m.executor().contextSize() + " tokens is full (raise --ctx)");
            if (timings) {
                System.err.printf("timings: load %d ms, prompt %d tok %.1f tok/s, decode %d tok %.1f tok/s%n", loadNanos / 1_000_000,
                        r.promptTokens().length, r.promptTokensPerSecond(), r.decodeSteps(), r.decodeTokensPerSecond());
                if (spec) {
                    System.err.printf("timings: speculative %s: drafted %d, accepted %d, acceptance %.3f, %d target steps, %.2f tokens per target step%n", specType,
                            r.drafted(), r.accepted(), r.acceptance(), r.targetSteps(), r.tokensPerTargetStep());
                }
            }
        }
        return 0;
    }

    /** llama.cpp's warm-up: one step on BOS (or token 0), then an empty KV cache. */
    private static void warmUp(LoadedModel m) {
        int bos = m.tokenizer().bos();
        m.executor().step(new int[] {bos >= 0 && bos < m.executor().vocabSize() ? bos : 0}, 0);
        m.executor().reset();
    }
}
