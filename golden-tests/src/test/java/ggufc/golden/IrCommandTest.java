package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.Graph;
import ggufc.ir.text.IrParser;
import ggufc.ir.text.IrPrinter;
import ggufc.passes.Pipelines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ggufc ir}: pipelines, IR dumps, statistics and JSON, Graphviz, and its one-line errors. */
class IrCommandTest {
    static String model() { return Goldens.sharedModel("stories260K.gguf").toString(); }

    static long number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (\\d+)").matcher(json);
        assertTrue(m.find(), key + " missing in " + json);
        return Long.parseLong(m.group(1));
    }

    @Test
    void anEarlyExitModulePrintsParsesBackAndIsVerifiedAsOneUnit(@TempDir Path dir) throws IOException {
        CliTest.Run r = CliTest.ggufc("ir", "--model", model(), "--spec-type", "early-exit", "--draft-layer", "3");
        assertEquals(0, r.exit(), r.err());
        ggufc.ir.GraphModule m = IrParser.parseModule(r.out(), "stdout");
        assertEquals(List.of("llama_step", "llama_step_draft"), m.graphs().stream().map(Graph::name).toList());
        // the draft reads the first 3 of stories260K's 5 layers, the final norm and the LM head; it declares their 6 caches (bound by name)
        Graph draft = m.graph("llama_step_draft");
        List<String> params = draft.params().stream().map(p -> p.attrs().string("name")).toList();
        assertTrue(params.stream().anyMatch(p -> p.startsWith("blk.2.")) && params.stream().noneMatch(p -> p.startsWith("blk.3.") || p.startsWith("blk.4.")), params.toString());
        assertTrue(params.contains("output_norm.weight"), params.toString());
        assertEquals(6, m.sharedStates().size(), m.sharedStates().toString());
        // both graphs went through the pipeline: fused ops in each
        for (Graph g : m.graphs()) assertTrue(g.nodes().stream().anyMatch(n -> n.op().irName().equals("norm_glu_matmul")), g.name());
        // printed again from the file: the same text
        Path file = dir.resolve("pair.ir");
        Files.writeString(file, r.out());
        CliTest.Run again = CliTest.ggufc("ir", "--ir", file.toString(), "--passes", "none");
        assertEquals(0, again.exit(), again.err());
        assertEquals(r.out(), again.out());
        // a draft whose caches are f16 while the target's are f32 (consistent on its own: every cache type in the draft
        // turned f16) is refused, naming the file and the state
        int at = r.out().indexOf("graph @llama_step_draft");
        Matcher cacheType = Pattern.compile("state \"cache\\.k\\.0\" : (tensor<[0-9x]*x)f32>").matcher(r.out()).region(at, r.out().length());
        assertTrue(cacheType.find(), "the draft declares cache.k.0 as f32");
        String tampered = r.out().substring(0, at) + r.out().substring(at).replace(cacheType.group(1) + "f32>", cacheType.group(1) + "f16>");
        Files.writeString(file, tampered);
        CliTest.Run bad = CliTest.ggufc("ir", "--ir", file.toString(), "--passes", "none");
        assertTrue(bad.exit() != 0, bad.out());
        assertTrue(bad.err().contains(file + ":1:8: state \"cache.k.0\" is " + cacheType.group(1) + "f32> in @llama_step but " + cacheType.group(1) + "f16> in @llama_step_draft") && bad.err().contains("in @llama_step_draft (a state shared by name is one buffer)"), bad.err());
        assertTrue(bad.err().lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + bad.err());
        CliTest.Run md = CliTest.ggufc("ir", "--model", model(), "-md", model());
        assertTrue(md.exit() != 0 && md.err().contains("-md goes with --spec-type draft-mtp"), md.err());
    }

    /** hy_v3's own MTP layer as the draft graph of a module: its cache is its own (nothing shared with the trunk). */
    @Test
    void anMtpModuleFromTheModelsOwnFile(@TempDir Path dir) {
        Path hy = dir.resolve("hy.gguf");
        CliTest.Run s = CliTest.ggufc("synth", "--preset", "hyv3-mtp-tiny", "-o", hy.toString(), "--vocab", model());
        assertEquals(0, s.exit(), s.err());
        CliTest.Run r = CliTest.ggufc("ir", "--model", hy.toString(), "--spec-type", "draft-mtp");
        assertEquals(0, r.exit(), r.err());
        ggufc.ir.GraphModule m = IrParser.parseModule(r.out(), "stdout");
        assertEquals(2, m.graphs().size());
        assertTrue(m.sharedStates().isEmpty(), m.sharedStates().toString());
        assertTrue(m.graphs().get(1).params().stream().anyMatch(p -> p.attrs().string("name").equals("blk.2.nextn.eh_proj.weight")), r.out());
        CliTest.Run none = CliTest.ggufc("ir", "--model", model(), "--spec-type", "draft-mtp");
        assertTrue(none.exit() != 0 && none.err().contains("needs the drafter, -md ASSISTANT.gguf"), none.err());
    }

    @Test
    void jsonStatsCompareTheLiftedGraphWithThePipeline() {
        CliTest.Run lifted = CliTest.ggufc("ir", "--model", model(), "--stats", "--json", "--passes", "none");
        CliTest.Run fused = CliTest.ggufc("ir", "--model", model(), "--stats", "--json");
        assertEquals(0, lifted.exit(), lifted.err());
        assertEquals(0, fused.exit(), fused.err());
        assertEquals(1, fused.out().strip().lines().count(), "one JSON object on one line");
        for (String key : List.of("ops", "kernels_per_decode_step", "weight_bytes_per_token", "activation_bytes_per_token", "flops_per_token")) {
            number(fused.out(), key);
        }
        assertTrue(number(lifted.out(), "kernels_per_decode_step") >= 3 * number(fused.out(), "kernels_per_decode_step"), lifted.out() + "\n" + fused.out());
        assertTrue(number(lifted.out(), "activation_bytes_per_token") >= 2 * number(fused.out(), "activation_bytes_per_token"));
        assertEquals(number(lifted.out(), "flops_per_token"), number(fused.out(), "flops_per_token"));
        assertTrue(lifted.out().contains("\"passes\": []") && fused.out().contains("\"passes\": [\"canonicalize\""), fused.out());
    }

    @Test
    void statsTextShowsBeforeAfterAndRatio() {
        CliTest.Run r = CliTest.ggufc("ir", "--model", model(), "--stats", "--at-context", "256");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("one decode step (T = 1) at context L = 256:"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches(" +kernels per decode step +108 +33 +3\\.27x")), r.out());
    }

    @Test
    void printIrAfterAllGivesOneReadableGraphPerPass() {
        CliTest.Run r = CliTest.ggufc("ir", "--model", model(), "--print-ir-after-all");
        assertEquals(0, r.exit(), r.err());
        List<String> headers = r.err().lines().filter(l -> l.startsWith("// -----// IR after ")).toList();
        assertEquals(Pipelines.defaultFor("vector").size(), headers.size(), String.join("\n", headers));
        assertTrue(headers.getFirst().startsWith("// -----// IR after canonicalize (1)"), headers.getFirst());
        // every printed graph is the IR text form: it parses back, verified, to what was printed
        List<String> graphs = new ArrayList<>(List.of(r.err().split("// -----// IR after [^\n]*\n")));
        graphs.removeFirst();
        for (String text : graphs) {
            String g = text.substring(0, text.indexOf("\n}\n") + 3);
            assertEquals(g, IrPrinter.print(IrParser.parse(g, "dump")));
        }
        Graph last = IrParser.parse(r.out(), "stdout");
        assertEquals(r.out(), IrPrinter.print(last));
    }

    @Test
    void dumpDirHasOneNumberedFilePerPass(@TempDir Path dir) throws IOException {
        CliTest.Run r = CliTest.ggufc("ir", "--model", model(), "--passes", "fuse-attention,fuse-rope-kv-write,dce", "--dump-dir", dir.toString());
        assertEquals(0, r.exit(), r.err());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("00-input.ir", "01-fuse-attention.ir", "02-fuse-rope-kv-write.ir", "03-dce.ir"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(r.out(), IrPrinter.print(IrParser.parseAll(dir.resolve("03-dce.ir")).getFirst()));
    }

    @Test
    void passTimingsTableAndListPasses() {
        CliTest.Run r = CliTest.ggufc("ir", "--model", model(), "--pass-timings", "--target", "opencl");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.matches("\\d+ +fuse-horizontal .*groups 5, grouped ops 15")), r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.contains("quantize-activations")), "opencl keeps f32 activations");
        CliTest.Run list = CliTest.ggufc("ir", "--list-passes");
        assertTrue(list.out().contains("fuse-attention         scores, scale, causal mask"), list.out());
        assertTrue(list.out().contains("attn_values(softmax(causal_mask(attn_scores(q, k){scale}, pos){window}), v) -> attention(q, k, v, pos){scale, window}"), list.out());
    }

    /**
     * The split passes by name (2 devices, even) and by {@code -sm}: listed, run on an IR file, their placed output
     * parsing back to the same text, and {@code --stats} counting the collectives.
     */
    @Test
    void splitPassesByNameAndBySplitMode(@TempDir Path dir) throws IOException {
        CliTest.Run list = CliTest.ggufc("ir", "--list-passes");
        for (String pass : List.of("split-layer", "split-row", "split-tensor", "split-graph")) {
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith("  " + pass + " ")), pass + " not listed:\n" + list.out());
        }
        Path ir = dir.resolve("moe.ir");
        Files.writeString(ir, Files.readString(PassGoldenTest.root().resolve("split-graph/moe-2-devices.ir")).split("// EXPECTED:")[0], StandardCharsets.UTF_8);
        CliTest.Run byName = CliTest.ggufc("ir", "--ir", ir.toString(), "--passes", "split-graph", "--target", "interp");
        assertEquals(0, byName.exit(), byName.err());
        Graph placed = IrParser.parse(byName.out(), "printed");
        assertEquals(byName.out(), IrPrinter.print(placed));
        assertEquals(java.util.Set.of(0, 1), ggufc.ir.Placement.devices(placed));
        CliTest.Run bySm = CliTest.ggufc("ir", "--ir", ir.toString(), "--passes", "none", "--target", "interp", "-sm", "graph", "--device", "cpu:0,cpu:1");
        assertEquals(0, bySm.exit(), bySm.err());
        assertEquals(byName.out(), bySm.out(), "--passes split-graph is -sm graph over 2 devices");
        CliTest.Run stats = CliTest.ggufc("ir", "--model", model(), "-sm", "graph", "--device", "cpu:0,cpu:1,cpu:2", "-ts", "1,2,1", "--passes", "none", "--stats");
        assertEquals(0, stats.exit(), stats.err());
        // stories260K: 5 layers, 2 all-reduces each (4 KV heads cut 1, 2, 1; FFN 172 cut to the nearest element);
        // the output head, cut by vocabulary, is gathered once
        assertTrue(stats.out().contains("split over 3 devices; per decode step: 10 all-reduces, 1 all-gathers, 0 transfers"), stats.out());
    }

    @Test
    void dotAndIrFileInput(@TempDir Path dir) throws IOException {
        Path ir = dir.resolve("layer.ir");
        Files.writeString(ir, Files.readString(PassGoldenTest.root().resolve("fuse-attention/attention.ir")).split("// EXPECTED:")[0], StandardCharsets.UTF_8);
        Path dot = dir.resolve("g.dot");
        CliTest.Run r = CliTest.ggufc("ir", "--ir", ir.toString(), "--passes", "fuse-attention", "--target", "interp", "--dot", dot.toString());
        assertEquals(0, r.exit(), r.err());
        String text = Files.readString(dot);
        assertTrue(text.startsWith("digraph \"attn\" {") && text.contains("%4 attention\\nTx4x2xf32\\n{scale = 0.5}"), text);
        CliTest.Run printed = CliTest.ggufc("ir", "--ir", ir.toString(), "--passes", "fuse-attention", "--target", "interp");
        assertTrue(printed.out().contains("%4 = attention %0, %2, %3, %1 {scale = 0.5} : tensor<Tx4x2xf32>"), printed.out());
    }

    @Test
    void errorsAreOneLine() {
        CliTest.Run unknown = CliTest.ggufc("ir", "--model", model(), "--passes", "fuse-everything");
        assertEquals(1, unknown.exit());
        assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
        assertTrue(unknown.err().startsWith("ggufc: unknown pass 'fuse-everything' (known: canonicalize, "), unknown.err());
        CliTest.Run refused = CliTest.ggufc("ir", "--model", model(), "--passes", "fuse-norm-matmul");
        assertEquals(1, refused.exit());
        assertEquals("ggufc: fuse-norm-matmul cannot run here: run fuse-glu first: fuse-norm-matmul merges every matmul reading a norm,"
                + " which would hide the gate/up pair from fuse-glu", refused.err().strip());
        CliTest.Run target = CliTest.ggufc("ir", "--model", model(), "--target", "cuda");
        assertTrue(target.err().startsWith("ggufc: unknown target 'cuda' (known: vector, interp, "), target.err());
    }
}
