package ggufc.runtime.artifact;

import com.palantir.javapoet.JavaFile;
import ggufc.codegen.vector.JavaEmitter;
import ggufc.codegen.vector.QuantizeActivations;
import ggufc.codegen.vector.SourceCompiler;
import ggufc.codegen.vector.kernels.NativeKernels;
import ggufc.codegen.vector.kernels.Vec;
import ggufc.codegen.vector.plan.Lowering;
import ggufc.codegen.vector.plan.Plan;
import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.TensorData;
import ggufc.lift.GgufWeights;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.PassManager;
import ggufc.passes.Pipelines;
import ggufc.passes.Targets;
import ggufc.ir.text.IrPrinter;
import ggufc.lift.LlamaHparams;
import ggufc.lift.Lifters;
import ggufc.lift.LlamaLifter;
import ggufc.passes.spec.InsertDraftHead;
import ggufc.runtime.GgufcVersion;
import ggufc.runtime.KvBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The ahead-of-time artifact of {@code ggufc compile}: a folder
 * <pre>
 * OUT/manifest.properties   format, ggufc version, target, compile options and pass list, the
 *                           GGUF's path and content hash, the generated class, its I/O layout,
 *                           a sha256 of every file below, and a checksum of the manifest itself
 * OUT/model.ir              the optimized step graph (IrPrinter text; IrParser reads it back)
 * OUT/plan.txt              the lowered kernel plan, one kernel call per line
 * OUT/src/ggufc/generated/*.java    the generated source
 * OUT/classes/ggufc/generated/*.class  the compiled classes, loaded by {@code ggufc run --artifact}
 * </pre>
 * Weights are not copied: the generated code reads them from the memory-mapped GGUF in their file
 * layout (no repacking). Opening an artifact ({@link #verify}) refuses, with one line saying what
 * to do, a different ggufc version or artifact format, a missing, modified or truncated file, a
 * modified manifest, and a GGUF whose content hash differs from the one compiled.
 */
public final class Artifact {
    private Artifact() {}

    public static final String FORMAT = "ggufc-artifact/1";
    public static final String MANIFEST = "manifest.properties";
    /** The fitted draft head's projection, f32 little-endian [n_embd, 2·n_embd], in an artifact compiled with one. */
    public static final String FITTED_PROJECTION = "fitted-head.f32";

    /** Compile options; {@code ctx} 0 means the default ({@link KvBudget#context}). */
    /**
     * @param allLogits lift with every position's logits (speculative decoding's verify step; prompts then compute the LM head for every token)
     * @param draftLayer 0: no draft step; else an early-exit draft step after that many layers (-1: the default,
     *                   {@link InsertDraftHead#resolve}) compiled beside the target (needs {@code allLogits})
     * @param draftMax the draft length `run --artifact` uses by default (0: llama.cpp's default)
     * @param draftChoice how the layer and draft length were chosen, for the manifest (null: given)
     * @param mtpDraft compile the model's own MTP (nextn) layer's draft step (hy_v3) beside the target (needs {@code allLogits})
     * @param fittedProjection a fitted draft head's projection ({@code ggufc.lift.FittedHeadLifter}), stored in the artifact
     *                         and compiled as its draft step (needs {@code allLogits}); null: none
     */
    public record Options(int ctx, DType kvType, int maxTokens, int threads, boolean allLogits, int draftLayer, int draftMax, String draftChoice, boolean mtpDraft,
                          float[] fittedProjection) {
        public Options(int ctx, DType kvType, int maxTokens, int threads) { this(ctx, kvType, maxTokens, threads, false, 0, 0, null, false, null); }

        public Options(int ctx, DType kvType, int maxTokens, int threads, boolean allLogits) { this(ctx, kvType, maxTokens, threads, allLogits, 0, 0, null, false, null); }

        public Options {
            if (ctx < 0) throw new IllegalArgumentException("--ctx must be >= 0, got " + ctx);
            if (maxTokens < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + maxTokens);
            if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            int drafts = (draftLayer != 0 ? 1 : 0) + (mtpDraft ? 1 : 0) + (fittedProjection != null ? 1 : 0);
            if (drafts > 0 && !allLogits) throw new IllegalArgumentException("a draft step needs every position's logits in the target (--all-logits)");
            if (drafts > 1) throw new IllegalArgumentException("one draft step: early-exit, the MTP layer's or a fitted head");
        }
    }

    /**
     * Named graph passes run before lowering (the target's pipeline); {@code run} gets the lifted
     * graph and the model's weights (constant folding reads small ones).
     */
    public record Pipeline(List<String> names, BiFunction<Graph, Function<String, TensorData>, Graph> run) {
        public static final Pipeline NONE = new Pipeline(List.of(), (g, w) -> g);
        /**
         * Only the vector target's own llama.cpp activation quantization for Q4_0/Q5_0/Q8_0 weights
         * (see {@link QuantizeActivations}).
         */
        public static final Pipeline VECTOR = new Pipeline(List.of(QuantizeActivations.NAME), (g, w) -> QuantizeActivations.apply(g));

        /** The passes module's pipeline {@code passes} (e.g. {@code Pipelines.defaultFor("vector")}) for the vector target. */
        public static Pipeline of(List<Pass> passes) {
            return new Pipeline(passes.stream().map(Pass::name).toList(),
                    (g, w) -> new PassManager(passes, PassManager.Options.defaults()).run(g, new PassContext(Targets.VECTOR, w)).graph());
        }

        /** The vector target's default pipeline ({@link Pipelines#defaultFor}). */
        public static Pipeline defaults() { return of(Pipelines.defaultFor(Targets.VECTOR.name())); }
    }

    /** Writes a fitted projection as {@link #FITTED_PROJECTION} holds it: f32, little-endian. */
    static void writeProjection(Path file, float[] proj) throws IOException {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4 * proj.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : proj) bb.putFloat(v);
        Files.write(file, bb.array());
    }

    /** Reads back what {@link #writeProjection} wrote. */
    public static float[] readProjection(Path file) {
        java.nio.ByteBuffer bb;
        try {
            bb = java.nio.ByteBuffer.wrap(Files.readAllBytes(file)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        float[] proj = new float[bb.remaining() / 4];
        for (int i = 0; i < proj.length; i++) proj[i] = bb.getFloat();
        return proj;
    }

    /** Compile stages, for progress reporting. */
    public static final List<String> STAGES = List.of("hash model", "lift", "passes", "lower", "generate Java", "javac", "native kernels", "write manifest");

    @FunctionalInterface
    public interface Progress {
        /** Stage {@code index} of {@link #STAGES} is starting. */
        void stage(int index, String name);
    }

    /** Compiles {@code gguf} into the artifact folder {@code out} (created, or replaced if it holds an artifact). */
    public static Manifest compile(Path gguf, Path out, Options opt, Pipeline passes, Progress progress) {
        try {
            prepare(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        try {
            Manifest m = new Manifest();
            m.put("format", FORMAT);
            m.put("ggufc.version", GgufcVersion.get());
            m.put("target", "vector");
            m.put("created", Instant.now().toString());
            m.put("java.version", Runtime.version().toString());
            m.put("vector.shape", Vec.describe());
            progress.stage(0, STAGES.get(0));
            m.put("model.path", gguf.toAbsolutePath().normalize().toString());
            m.put("model.size", Long.toString(Files.size(gguf)));
            m.put("model.hash", GgufHash.of(gguf));
            Graph g, draft = null;
            int ctx;
            try (GgufFile f = GgufFile.open(gguf)) {
                progress.stage(1, STAGES.get(1));
                LlamaHparams hp = Lifters.hparams(f);
                ctx = KvBudget.context(opt.ctx(), hp.ctxTrain());
                Graph lifted = Lifters.lift(f, new LlamaLifter.Options(ctx, opt.allLogits(), opt.kvType()));
                progress.stage(2, STAGES.get(2));
                Function<String, TensorData> weights = ggufc.ir.Slices.wrap(new GgufWeights(f));
                g = passes.run().apply(lifted, weights);
                if (opt.draftLayer() != 0) {
                    // the early-exit draft step: one module with the target, both through the pipeline, verified as one
                    int k = InsertDraftHead.resolve(lifted, opt.draftLayer());
                    draft = passes.run().apply(InsertDraftHead.module(lifted, k).graphs().get(1), weights);
                    m.put("draft", "early-exit");
                    m.put("draft.layer", Integer.toString(k));
                    if (opt.draftMax() > 0) m.put("draft.max", Integer.toString(opt.draftMax()));
                    if (opt.draftChoice() != null) m.put("draft.choice", opt.draftChoice());
                }
                if (opt.mtpDraft()) {
                    // the MTP (nextn) layer in the same file: its own cache; it reads the target's hidden rows (io.hidden)
                    draft = passes.run().apply(ggufc.lift.HyV3Lifter.liftDraft(f, new LlamaLifter.Options(ctx, false, opt.kvType())), weights);
                    m.put("draft", "mtp");
                }
                if (opt.fittedProjection() != null) {
                    // the fitted head: its projection stored beside the code (covered by the checksums), bound as a param
                    draft = passes.run().apply(ggufc.lift.FittedHeadLifter.liftDraft(f, new LlamaLifter.Options(ctx, false, opt.kvType())),
                            ggufc.runtime.spec.FittedHead.withProjection(weights, opt.fittedProjection(), hp.nEmbd()));
                    m.put("draft", "fitted");
                    m.put("draft.projection", FITTED_PROJECTION);
                    if (opt.draftChoice() != null) m.put("draft.choice", opt.draftChoice());
                    writeProjection(out.resolve(FITTED_PROJECTION), opt.fittedProjection());
                }
            }
            ggufc.ir.GraphModule module = draft == null ? null : ggufc.ir.GraphModule.of(g.name(), g, draft);
            if (module != null) ggufc.ir.Verifier.verify(module);
            m.put("passes", passes.names().isEmpty() ? "none" : String.join(",", passes.names()));
            m.put("lowering", "vector instruction selection: matmul on GGUF blocks (dequant folded), matmul+residual, GLU, attention over the KV cache");
            m.put("ctx", Integer.toString(ctx));
            m.put("kv.type", opt.kvType().irName());
            m.put("kv.bytes.per.token", Long.toString(KvBudget.bytesPerToken(g)));
            m.put("max.tokens", Integer.toString(opt.maxTokens()));
            m.put("threads", Integer.toString(opt.threads()));
            java.util.Set<Integer> devices = ggufc.ir.Placement.devices(g);
            if (!devices.isEmpty()) {
                ggufc.passes.split.SplitStats st = ggufc.passes.split.SplitStats.of(g);
                m.put("split.devices", Integer.toString(devices.size()));
                m.put("split.collectives", st.allReduces() + " all-reduces, " + st.allGathers() + " all-gathers, " + st.transfers() + " transfers per step");
            }
            Files.writeString(out.resolve("model.ir"), module != null ? IrPrinter.print(module) : IrPrinter.print(g), StandardCharsets.UTF_8);

            progress.stage(3, STAGES.get(3));
            Plan plan = Lowering.lower(g, opt.maxTokens());
            Files.writeString(out.resolve("plan.txt"), plan.dump(), StandardCharsets.UTF_8);
            m.put("weights", plan.packed().isEmpty() ? "memory-mapped from the GGUF, file layout (no repack)"
                    : "memory-mapped from the GGUF, file layout, except " + plan.packed().size() + " matrices of this small model decoded at load into f32 16-row tiles on the heap (plan.txt: p0..)");
            int logits = plan.outputIndex(LlamaLifter.LOGITS);
            m.put("io.tokens", Integer.toString(plan.inputs().indexOf(LlamaLifter.TOKENS)));
            m.put("io.pos", Integer.toString(plan.inputs().indexOf(LlamaLifter.POSITIONS)));
            m.put("io.logits", Integer.toString(logits));
            m.put("io.vocab", Long.toString(plan.outputs().get(logits).rowLength()));
            m.put("io.all.logits", Boolean.toString(plan.outputs().get(logits).size().perToken()));

            progress.stage(4, STAGES.get(4));
            String cls = JavaEmitter.className(g.name());
            JavaFile src = JavaEmitter.emit(plan, cls, "Generated by ggufc " + GgufcVersion.get() + " from " + gguf.getFileName() + " (" + m.get("model.hash") + ") for the vector target.");
            src.writeTo(out.resolve("src"));
            Path javaFile = out.resolve("src").resolve(JavaEmitter.PACKAGE.replace('.', '/')).resolve(cls + ".java");
            m.put("class", JavaEmitter.PACKAGE + "." + cls);

            List<Path> sources = new ArrayList<>(List.of(javaFile));
            if (draft != null) {
                // the draft step's own class, bound to the same ModelBinding: its caches are the target's (by name)
                boolean mtp = opt.mtpDraft(), withHidden = mtp || opt.fittedProjection() != null;
                // an MTP step also catches its cache up on a verify step's kept rows: up to 64 tokens a step (longer ones in chunks)
                Plan dp = Lowering.lower(draft, mtp ? 64 : 1);
                Files.writeString(out.resolve("draft-plan.txt"), dp.dump(), StandardCharsets.UTF_8);
                String dcls = JavaEmitter.className(draft.name());
                JavaEmitter.emit(dp, dcls, "Generated by ggufc " + GgufcVersion.get() + " from " + gguf.getFileName() + " (" + m.get("model.hash")
                        + (mtp ? "): the draft step of its MTP (nextn) layer, with a KV cache of its own, fed " + cls + "'s hidden rows."
                        : withHidden ? "): the draft step of a head fitted at compile time (" + FITTED_PROJECTION + "), fed " + cls + "'s hidden rows."
                        : "): the early-exit draft step after " + m.get("draft.layer") + " layers, sharing " + cls + "'s KV caches.")).writeTo(out.resolve("src"));
                sources.add(out.resolve("src").resolve(JavaEmitter.PACKAGE.replace('.', '/')).resolve(dcls + ".java"));
                m.put("draft.class", JavaEmitter.PACKAGE + "." + dcls);
                int dl = dp.outputIndex(LlamaLifter.LOGITS);
                m.put("draft.io.tokens", Integer.toString(dp.inputs().indexOf(LlamaLifter.TOKENS)));
                m.put("draft.io.pos", Integer.toString(dp.inputs().indexOf(LlamaLifter.POSITIONS)));
                m.put("draft.io.logits", Integer.toString(dl));
                if (withHidden) {
                    int next = dp.outputIndex(ggufc.lift.HyV3Lifter.HIDDEN_NEXT);
                    m.put("draft.io.hidden", Integer.toString(dp.inputs().indexOf(ggufc.lift.HyV3Lifter.HIDDEN_IN)));
                    m.put("draft.io.count", Integer.toString(dp.inputs().size()));
                    m.put("draft.io.next", Integer.toString(next));
                    m.put("draft.io.width", Long.toString(dp.outputs().get(next).rowLength()));
                    m.put("draft.io.vocab", Long.toString(dp.outputs().get(dl).rowLength()));
                    int hidden = plan.outputIndex(LlamaLifter.HIDDEN);
                    if (hidden < 0) throw new IllegalStateException("the target step has no output '" + LlamaLifter.HIDDEN + "' for the draft step to read");
                    m.put("io.hidden", Integer.toString(hidden));
                    m.put("io.hidden.width", Long.toString(plan.outputs().get(hidden).rowLength()));
                }
            }

            progress.stage(5, STAGES.get(5));
            SourceCompiler.compile(sources, out.resolve("classes"));

            progress.stage(6, STAGES.get(6));
            nativeKernels(out, m);

            progress.stage(7, STAGES.get(7));
            for (Path p : artifactFiles(out)) m.put("file." + out.relativize(p).toString().replace('\\', '/'), GgufHash.sha256(Files.readAllBytes(p)));
            m.write(out.resolve(MANIFEST));
            return m;
        } catch (IOException e) {
            removeUnfinished(out);
            throw new UncheckedIOException(e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            removeUnfinished(out);
            throw e;
        }
    }

    /** The native kernels' library in an artifact that has one (manifest {@code kernels=native}). */
    public static final String NATIVE_KERNELS = "native/kernels.so";

    /**
     * Builds the native matmul kernels ({@link NativeKernels}) into {@code out/native/kernels.so} with
     * the machine's C compiler, unless {@code ggufc.kernels=vector}; where the CPU lacks their
     * instruction set or no compiler is found (and {@code ggufc.kernels} is not {@code native}), the
     * artifact runs the Vector API kernels, and the manifest says why.
     */
    private static void nativeKernels(Path out, Manifest m) throws IOException {
        String mode = NativeKernels.mode(), why = mode.equals("vector") ? "ggufc.kernels=vector at compile time" : NativeKernels.missingCpuFlags();
        if (why == null) {
            try {
                String compiler = NativeKernels.build(NativeKernels.source(), out.resolve(NATIVE_KERNELS));
                m.put("kernels", "native");
                m.put("kernels.library", NATIVE_KERNELS);
                m.put("kernels.source", NativeKernels.sourceKey());
                m.put("kernels.compiler", compiler);
                m.put("kernels.cpu", String.join(" ", NativeKernels.CPU_FLAGS));
                return;
            } catch (IOException e) {
                why = e.getMessage();
            }
        } else if (!mode.equals("vector")) {
            why = "this CPU lacks " + why;
        }
        if (mode.equals("native")) throw new IOException("native kernels: " + why);
        m.put("kernels", "vector");
        m.put("kernels.why", why);
    }

    /**
     * Deletes the folder of a compile that failed after {@link #prepare} emptied or made it, so the
     * next {@code ggufc compile -o} to it is not refused as a non-artifact folder.
     */
    private static void removeUnfinished(Path out) {
        if (Files.isRegularFile(out.resolve(MANIFEST)) || !Files.isDirectory(out)) return;
        try (Stream<Path> s = Files.walk(out)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
            // best effort: the compile's own error is the one to report
        }
    }

    /** Files covered by the manifest's checksums, in a stable order. */
    private static List<Path> artifactFiles(Path out) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(out)) {
            s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(MANIFEST)).sorted(Comparator.comparing(Path::toString)).forEach(files::add);
        }
        return files;
    }

    /** Makes {@code out} an empty folder, refusing to clear a non-empty folder that is not an artifact. */
    private static void prepare(Path out) throws IOException {
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) throw new IllegalArgumentException(out + ": exists and is not a folder");
            boolean empty;
            try (Stream<Path> s = Files.list(out)) {
                empty = s.findAny().isEmpty();
            }
            if (!empty && !Files.isRegularFile(out.resolve(MANIFEST))) {
                throw new IllegalArgumentException(out + ": folder is not empty and holds no ggufc artifact; choose another -o");
            }
            try (Stream<Path> s = Files.walk(out)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) if (!p.equals(out)) Files.delete(p);
            }
        }
        Files.createDirectories(out);
    }

    /**
     * Checks the artifact in {@code dir} and the GGUF it was compiled from ({@code model}, or the
     * manifest's path when null); returns the manifest. Every refusal is an
     * {@link IllegalStateException} with one line of text.
     */
    public static Manifest verify(Path dir, Path model) {
        Path mf = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(mf)) throw new IllegalStateException(dir + ": not a ggufc artifact (no " + MANIFEST + "); make one with `ggufc compile --model M -o " + dir + "`");
        Manifest m = Manifest.read(mf);
        if (!FORMAT.equals(m.get("format"))) throw new IllegalStateException(dir + ": artifact format '" + m.get("format") + "', this ggufc reads " + FORMAT + "; recompile it");
        if (!GgufcVersion.get().equals(m.get("ggufc.version"))) {
            throw new IllegalStateException(dir + ": compiled by ggufc " + m.get("ggufc.version") + ", this is ggufc " + GgufcVersion.get() + "; recompile with `ggufc compile`");
        }
        for (Map.Entry<String, String> e : m.entries().entrySet()) {
            if (!e.getKey().startsWith("file.")) continue;
            String rel = e.getKey().substring(5);
            Path p = dir.resolve(rel);
            try {
                if (!Files.isRegularFile(p)) throw new IllegalStateException(dir + ": artifact file " + rel + " is missing; recompile with `ggufc compile`");
                if (!GgufHash.sha256(Files.readAllBytes(p)).equals(e.getValue())) {
                    throw new IllegalStateException(dir + ": artifact file " + rel + " was modified or truncated (checksum mismatch); recompile with `ggufc compile`");
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        Path gguf = model != null ? model : Path.of(m.require("model.path"));
        if (!Files.isRegularFile(gguf)) throw new IllegalStateException(dir + ": model " + gguf + " not found (point --model at the GGUF it was compiled from)");
        String hash = GgufHash.of(gguf);
        if (!hash.equals(m.get("model.hash"))) {
            throw new IllegalStateException(dir + ": model " + gguf + " changed since it was compiled (content hash " + shortHash(hash) + ", compiled from "
                    + shortHash(m.get("model.hash")) + "); recompile with `ggufc compile`");
        }
        return m;
    }

    private static String shortHash(String h) {
        int c = h.indexOf(':');
        return h.substring(0, Math.min(h.length(), c + 13));
    }

    /** An ordered key=value manifest whose last line checksums the others. */
    public static final class Manifest {
        private final Map<String, String> entries = new LinkedHashMap<>();
        private Path file;

        public void put(String k, String v) {
            if (v.indexOf('\n') >= 0 || k.indexOf('=') >= 0) throw new IllegalArgumentException("bad manifest entry " + k);
            entries.put(k, v);
        }

        public String get(String k) { return entries.get(k); }

        public int getInt(String k) {
            long v = getLong(k);
            if (v != (int) v) throw new IllegalStateException(where() + ": '" + k + "' is " + v + ", out of range; recompile with `ggufc compile`");
            return (int) v;
        }

        public long getLong(String k) {
            String v = require(k);
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new IllegalStateException(where() + ": '" + k + "' is '" + v + "', not a whole number; recompile with `ggufc compile`");
            }
        }

        public String require(String k) {
            String v = entries.get(k);
            if (v == null) throw new IllegalStateException(where() + " has no '" + k + "'; recompile with `ggufc compile`");
            return v;
        }

        /** The manifest's file, for messages ("artifact manifest" for one not read from a file). */
        private String where() { return file != null ? file.toString() : "artifact manifest"; }

        public Map<String, String> entries() { return java.util.Collections.unmodifiableMap(entries); }

        private String body() {
            StringBuilder sb = new StringBuilder("# ggufc artifact manifest: do not edit (the last line checksums the lines above)\n");
            entries.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
            return sb.toString();
        }

        void write(Path p) throws IOException {
            String body = body();
            Files.writeString(p, body + "manifest.sha256=" + GgufHash.sha256(body.getBytes(StandardCharsets.UTF_8)) + "\n", StandardCharsets.UTF_8);
        }

        static Manifest read(Path p) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(p);
            } catch (IOException e) {
                throw new IllegalStateException(p + ": cannot read the manifest (" + e.getMessage() + ")");
            }
            // the checksum covers the bytes, so a flipped byte is found before anything is decoded
            byte[] mark = "manifest.sha256=".getBytes(StandardCharsets.US_ASCII);
            int last = lastIndexOf(bytes, mark);
            if (last < 0) throw new IllegalStateException(p + ": manifest is truncated (no checksum line); recompile with `ggufc compile`");
            String sum = new String(bytes, last + mark.length, bytes.length - last - mark.length, StandardCharsets.ISO_8859_1).strip();
            if (!GgufHash.sha256(java.util.Arrays.copyOf(bytes, last)).equals(sum)) {
                throw new IllegalStateException(p + ": manifest was modified or truncated (checksum mismatch); recompile with `ggufc compile`");
            }
            String body;
            try {
                body = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes, 0, last)).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new IllegalStateException(p + ": manifest is not UTF-8 text; recompile with `ggufc compile`");
            }
            Manifest m = new Manifest();
            m.file = p;
            for (String line : body.split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int eq = line.indexOf('=');
                if (eq < 0) throw new IllegalStateException(p + ": bad manifest line '" + line + "'");
                m.entries.put(line.substring(0, eq), line.substring(eq + 1));
            }
            return m;
        }

        private static int lastIndexOf(byte[] a, byte[] b) {
            outer:
            for (int i = a.length - b.length; i >= 0; i--) {
                for (int j = 0; j < b.length; j++) if (a[i + j] != b[j]) continue outer;
                return i;
            }
            return -1;
        }
    }
}
