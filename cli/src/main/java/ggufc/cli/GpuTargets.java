package ggufc.cli;

import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.lower.GpuLowering;
import ggufc.codegen.tornado.lower.LaunchPlan;
import ggufc.codegen.tornado.render.CStyleRenderer;
import ggufc.codegen.tornado.render.PtxRenderer;
import ggufc.codegen.tornado.render.SpirvRenderer;
import ggufc.codegen.tornado.tornadovm.TornadoExport;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;
import ggufc.gguf.GgufTensors;
import ggufc.lift.GgufWeights;
import ggufc.tokenizer.Tokenizer;
import java.util.LinkedHashMap;
import java.util.Map;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.Lifters;
import ggufc.lift.LlamaLifter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The GPU targets of {@code ggufc compile}: the model's step graph lowered once to the kernel IR
 * and its launch plan, then rendered as OpenCL C ({@code opencl}), PTX for sm_80 and sm_90
 * ({@code ptx}), a binary SPIR-V module ({@code spirv}), or a Maven project of TornadoVM Java
 * ({@code tornado}). Every target also gets the launch plan as text: buffers, then one line per
 * kernel launch of a step.
 */
public final class GpuTargets {
    private GpuTargets() {}

    public static final List<String> TARGETS = List.of("opencl", "ptx", "spirv", "tornado");

    public static boolean handles(String target) { return TARGETS.contains(target); }

    /** The lifted step graph's launch plan for {@code ctx} positions and prompts processed {@code batch} tokens at a time. */
    public static LaunchPlan plan(GgufFile f, int ctx, int batch, DType kvType) {
        int n = ggufc.runtime.KvBudget.context(ctx, Lifters.hparams(f).ctxTrain());
        Graph g = ggufc.codegen.tornado.lower.LlamaCppActivations.apply(Lifters.lift(f, new LlamaLifter.Options(n, false, kvType)));
        return GpuLowering.lower(g, new GpuLowering.Options(Math.min(batch, n), n));
    }

    /** Writes {@code target}'s files for the model into {@code out}; returns them. */
    public static List<Path> compile(Path model, String target, Path out, int ctx, int batch, DType kvType) {
        if (!handles(target)) throw new IllegalArgumentException("unknown GPU target '" + target + "' (GPU targets: " + String.join(", ", TARGETS) + ")");
        try (GgufFile f = GgufFile.open(model)) {
            // the TornadoVM program runs one token per step, so its grids are fixed (see TornadoExport)
            LaunchPlan plan = plan(f, ctx, target.equals("tornado") ? 1 : batch, kvType);
            String base = model.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
            List<Path> written = new ArrayList<>();
            Files.createDirectories(out);
            List<Kernel> ks = plan.kernels();
            switch (target) {
                case "opencl" -> written.add(write(out.resolve(base + ".cl"), CStyleRenderer.openClProgram(ks)));
                case "ptx" -> {
                    for (String arch : List.of("sm_80", "sm_90")) written.add(write(out.resolve(base + "." + arch + ".ptx"), PtxRenderer.module(ks, arch)));
                }
                case "spirv" -> {
                    Path p = out.resolve(base + ".spv");
                    Files.write(p, SpirvRenderer.module(ks));
                    written.add(p);
                }
                case "tornado" -> written.addAll(TornadoExport.write(plan, tornadoModel(f, base), out.resolve(base + "-tornado")));
                default -> throw new IllegalStateException(target);
            }
            written.add(write(out.resolve(base + "." + target.toLowerCase(Locale.ROOT) + ".plan.txt"), plan.describe()));
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
    }

    /** Where the exported TornadoVM program finds the weights (offsets in the GGUF file) and the token texts. */
    static TornadoExport.Model tornadoModel(GgufFile f, String base) {
        Map<String, long[]> ranges = new LinkedHashMap<>();
        for (GgufTensorInfo t : f.tensors()) {
            if (!GgufTensors.needsFlatDequant(t)) ranges.put(t.name(), new long[] {f.dataOffset() + t.offset(), t.byteSize()});
        }
        Tokenizer tok = Tokenizer.fromGguf(f);
        List<byte[]> pieces = new ArrayList<>();
        for (int i = 0; i < tok.vocabSize(); i++) pieces.add(tok.pieceBytes(i, false));
        return new TornadoExport.Model(base, ranges, new GgufWeights(f), pieces, tok.eos());
    }

    private static Path write(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }
}
