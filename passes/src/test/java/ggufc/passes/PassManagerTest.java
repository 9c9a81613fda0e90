package ggufc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.text.IrParser;
import ggufc.ir.text.IrPrinter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager around the passes: dumps, prints, refusals with reasons, verification, meaning checks, the table. */
class PassManagerTest {
    static final Target INTERP = Targets.INTERP;

    static Graph ffn() { return Ir.parse(FusionTest.FFN); }

    static String log(PassManager.Options o, Graph g, String passes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PassManager pm = new PassManager(PassRegistry.parse(passes, INTERP), o.withLog(new PrintStream(out, true, StandardCharsets.UTF_8)));
        pm.run(g, new PassContext(INTERP));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dumpDirGetsOneNumberedFilePerPassEachParsingBack(@TempDir Path dir) throws IOException {
        PassManager pm = new PassManager(PassRegistry.parse("canonicalize,fuse-glu,fuse-norm-matmul", INTERP), Ir.checked().withDumpDir(dir));
        Graph out = pm.run(ffn(), new PassContext(INTERP)).graph();
        List<String> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("00-input.ir", "01-canonicalize.ir", "02-fuse-glu.ir", "03-fuse-norm-matmul.ir"), files);
        String last = Files.readString(dir.resolve("03-fuse-norm-matmul.ir"));
        assertTrue(last.startsWith("// after pass 3 fuse-norm-matmul (changed)\n"), last);
        assertTrue(Files.readString(dir.resolve("01-canonicalize.ir")).startsWith("// after pass 1 canonicalize (unchanged)\n"));
        assertEquals(IrPrinter.print(out), IrPrinter.print(IrParser.parse(last, "03.ir")));
        assertEquals(IrPrinter.print(ffn()), IrPrinter.print(IrParser.parse(Files.readString(dir.resolve("00-input.ir")), "00.ir")));
    }

    @Test
    void printIrBeforeAndAfterNamedPasses() {
        String log = log(Ir.checked().withPrintBefore(Set.of("fuse-glu")).withPrintAfter(Set.of("fuse-norm-matmul")), ffn(),
                "canonicalize,fuse-glu,fuse-norm-matmul");
        assertEquals(List.of("// -----// IR before fuse-glu (2) //----- //", "// -----// IR after fuse-norm-matmul (3) //----- //"),
                log.lines().filter(l -> l.startsWith("// -----//")).toList());
        assertTrue(log.contains("norm_glu_matmul"), log);
    }

    @Test
    void printAfterAllAndAfterChangeOnly() {
        String all = log(Ir.checked().withPrintAfter(Set.of("all")), ffn(), "canonicalize,fuse-glu");
        assertEquals(List.of("// -----// IR after canonicalize (1) (unchanged) //----- //", "// -----// IR after fuse-glu (2) //----- //"),
                all.lines().filter(l -> l.startsWith("// -----//")).toList());
        String changed = log(Ir.checked().withPrintAfterChange(true), ffn(), "canonicalize,fuse-glu,cse");
        assertEquals(List.of("// -----// IR after fuse-glu (2) //----- //"), changed.lines().filter(l -> l.startsWith("// -----//")).toList());
    }

    @Test
    void refusesAPassWhosePreconditionIsMissingWithTheReason() {
        PassException e = assertThrows(PassException.class, () -> Ir.run(ffn(), INTERP, "fuse-norm-matmul"));
        assertEquals("fuse-norm-matmul cannot run here: run fuse-glu first: fuse-norm-matmul merges every matmul reading a norm, which would hide the gate/up pair from fuse-glu",
                e.getMessage());
        e = assertThrows(PassException.class, () -> Ir.run(ffn(), INTERP, "quantize-activations"));
        assertTrue(e.getMessage().startsWith("quantize-activations cannot run here: run fold-quant-dequant first"), e.getMessage());
        e = assertThrows(PassException.class, () -> Ir.run(ffn(), INTERP, "fuse-elementwise,canonicalize"));
        assertTrue(e.getMessage().startsWith("canonicalize cannot run here: canonicalize rewrites nodes and would break kernel groups"), e.getMessage());
        e = assertThrows(PassException.class, () -> Ir.run(ffn(), INTERP, "fold-quant-dequant,quantize-activations,fuse-glu"));
        assertEquals("fuse-glu cannot run here: fuse-glu matches f32 activations: run it before quantize-activations", e.getMessage());
    }

    @Test
    void refusesWhatTheTargetDoesNotImplement() {
        PassException e = assertThrows(PassException.class, () -> Ir.run(ffn(), Targets.NAIVE, "fuse-attention"));
        assertEquals("fuse-attention: target naive does not implement attention", e.getMessage());
        e = assertThrows(PassException.class, () -> Ir.run(ffn(), Targets.OPENCL, "fold-quant-dequant,quantize-activations"));
        assertEquals("quantize-activations: target opencl keeps f32 activations (it declares no integer dot products)", e.getMessage());
    }

    @Test
    void refusalComesBeforeAnyWork(@TempDir Path dir) throws IOException {
        PassManager pm = new PassManager(PassRegistry.parse("canonicalize,fuse-norm-matmul", INTERP), Ir.checked().withDumpDir(dir));
        assertThrows(PassException.class, () -> pm.run(ffn(), new PassContext(INTERP)));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void unknownPassNamesAreListed() {
        PassException e = assertThrows(PassException.class, () -> PassRegistry.parse("cse,fuse-everything", INTERP));
        assertTrue(e.getMessage().startsWith("unknown pass 'fuse-everything' (known: canonicalize, cse, dce, "), e.getMessage());
        assertEquals(List.of(), PassRegistry.parse("none", INTERP));
        assertEquals(Ir.names(Pipelines.defaultFor("vector")), Ir.names(PassRegistry.parse("default", Targets.VECTOR)));
        assertEquals(List.of("dce", "cse"), Ir.names(PassRegistry.parse("dce, cse", INTERP)));
    }

    /** A broken pass: returns its input's nodes in reverse order (operands after their users). */
    static final class ReverseNodes implements Pass {
        @Override public String name() { return "reverse-nodes"; }
        @Override public String summary() { return "test"; }
        @Override public Graph run(Graph g, PassContext cx) {
            List<Node> r = new ArrayList<>(g.nodes());
            java.util.Collections.reverse(r);
            return new Graph(g.name(), r, g.outputs());
        }
    }

    @Test
    void verifyEachCatchesAnInvalidGraphAndNamesThePass(@TempDir Path dir) {
        PassManager pm = new PassManager(List.of(new ReverseNodes()), Ir.checked().withDumpDir(dir));
        PassException e = assertThrows(PassException.class, () -> pm.run(ffn(), new PassContext(INTERP)));
        assertTrue(e.getMessage().startsWith("pass reverse-nodes produced an invalid graph: %0 = add: operand"), e.getMessage());
        assertTrue(Files.exists(dir.resolve("01-reverse-nodes.failed.ir")));
        // without verification the broken graph goes through
        new PassManager(List.of(new ReverseNodes()), Ir.checked().withVerifyEach(false).withCheckEach(false)).run(ffn(), new PassContext(INTERP));
    }

    /** A wrong pass: valid graph, different meaning (silu becomes gelu). */
    static final class SiluToGelu implements Pass {
        @Override public String name() { return "silu-to-gelu"; }
        @Override public String summary() { return "test"; }
        @Override public Graph run(Graph g, PassContext cx) {
            return ggufc.passes.rewrite.GraphRewriter.apply(g, List.of(ggufc.passes.rewrite.Rule.of("wrong", "silu(x) -> gelu(x)",
                    (root, rw) -> root.op() == OpKind.SILU ? rw.add(OpKind.GELU, ggufc.ir.Attrs.EMPTY, rw.get(root.input(0))) : null)), cx);
        }
    }

    @Test
    void checkEachCatchesAPassThatChangesWhatTheGraphComputes() {
        PassManager pm = new PassManager(List.of(new SiluToGelu()), Ir.checked());
        PassException e = assertThrows(PassException.class, () -> pm.run(ffn(), new PassContext(INTERP)));
        assertTrue(e.getMessage().startsWith("pass silu-to-gelu changed what the graph computes: output \"y\" at step 1: element"), e.getMessage());
    }

    @Test
    void tableShowsEveryPassWithCostsAndCounts() {
        PassManager pm = new PassManager(PassRegistry.parse("fuse-glu,fuse-norm-matmul,fuse-matmul-add,dce", INTERP), Ir.checked());
        PassManager.Result r = pm.run(ffn(), new PassContext(INTERP));
        String t = r.table();
        assertEquals(7, t.lines().count(), t);
        assertTrue(t.lines().skip(2).findFirst().orElseThrow().matches("1 +fuse-glu .* swiglu 1"), t);
        assertTrue(t.contains("norm-glu 1") && t.contains("residual-epilogue 1"), t);
        assertEquals(List.of(true, true, true, false), r.records().stream().map(PassManager.PassRecord::changed).toList());
        // rms_norm, gate, silu, up, mul, down, add -> norm_glu_matmul, matmul_add
        assertEquals(7, r.input().kernels());
        assertEquals(2, r.output().kernels());
    }

    @Test
    void defaultPipelinesAreDeclaredOnceAndFilteredByTarget() {
        assertEquals(Pipelines.DEFAULT, Ir.names(Pipelines.defaultFor("interp")));
        assertEquals(Pipelines.DEFAULT, Ir.names(Pipelines.defaultFor("vector")));
        assertFalse(Ir.names(Pipelines.defaultFor("opencl")).contains("quantize-activations"));
        for (Target t : Targets.all()) {
            // every default pipeline is accepted as is (preconditions hold in the declared order)
            new PassManager(Pipelines.forTarget(t), Ir.checked()).run(ffn(), new PassContext(t));
        }
        assertThrows(IllegalArgumentException.class, () -> Pipelines.defaultFor("cuda"));
    }

    @Test
    void everyPassHasAKebabCaseNameAndASummary() {
        for (String n : PassRegistry.names()) {
            Pass p = PassRegistry.byName(n);
            assertEquals(n, p.name());
            assertTrue(n.matches("[a-z]+(-[a-z]+)*") && !p.summary().isBlank(), n);
        }
    }

    @Test
    void aGraphBuiltInCodeRunsToo() {
        GraphBuilder b = new GraphBuilder("g");
        Node x = b.input("x", ggufc.ir.TensorType.of(ggufc.ir.DType.F32, 4));
        b.output("y", b.scale(b.scale(x, 2.0), 3.0));
        Graph g = Ir.run(b.build(), INTERP, "canonicalize");
        assertEquals(2, g.nodes().size());
        assertEquals(6.0, g.nodes().get(1).attrs().real("factor"));
    }
}
