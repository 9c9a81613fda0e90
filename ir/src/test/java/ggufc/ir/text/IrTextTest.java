package ggufc.ir.text;

import ggufc.ir.Attrs;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.IrException;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Shape;
import ggufc.ir.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IrTextTest {

    static String resource(String path) throws IOException {
        try (InputStream in = IrTextTest.class.getResourceAsStream("/" + path)) {
            if (in == null) throw new IOException("missing test resource " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static void assertRoundTrips(Graph g) {
        String text = IrPrinter.print(g);
        Graph back = IrParser.parse(text, "printed");
        assertTrue(g.structurallyEquals(back), () -> "parse(print(g)) differs from g:\n" + text + "\nreparsed:\n" + IrPrinter.print(back));
        assertEquals(text, IrPrinter.print(back));
    }

    @Test
    void printsTheGoldenLlamaLayer() throws IOException {
        String golden = resource("text/llama_layer.ir");
        Graph g = SampleGraphs.llamaLayer();
        assertEquals(golden, IrPrinter.print(g));
        assertTrue(IrParser.parse(golden, "llama_layer.ir").structurallyEquals(g));
        assertRoundTrips(g);
    }

    @Test
    void theFormatOfTheBrief() {
        GraphBuilder b = new GraphBuilder("llama_decode");
        Node tokens = b.input("tokens", TensorType.of(DType.I32, "T"));
        Node embd = b.param("token_embd.weight", TensorType.of(DType.Q8_0, 512, 64));
        Node x = b.embed(embd, tokens);
        Node h = b.rmsNorm(x, b.param("blk.0.attn_norm.weight", TensorType.of(DType.F32, 64)), 1e-5);
        b.output("hidden", h);
        b.output("embd", x);
        assertEquals("""
                graph @llama_decode {
                  %0 = input "tokens" : tensor<Txi32>
                  %1 = param "token_embd.weight" : tensor<512x64xq8_0>
                  %2 = embed %1, %0 : tensor<Tx64xf32>
                  %3 = param "blk.0.attn_norm.weight" : tensor<64xf32>
                  %4 = rms_norm %2, %3 {eps = 1.0e-5} : tensor<Tx64xf32>
                  return "hidden" = %4, "embd" = %2
                }
                """, IrPrinter.print(b.build()));
    }

    @Test
    void readsFreeFormTextWithCommentsAndAnyValueNames() {
        String text = """
                // leading comment
                graph   @g{// after the brace
                  %tokens=input"tokens":tensor<Txi32>   // no blanks needed
                  %w.0 = param "w" {split = "axis1", hint = 1} : tensor<16x32xq8_0>
                  %_e$1 = embed %w.0,%tokens : tensor<Tx32xf32>
                  // a comment line between statements
                  %7 = scale %_e$1 { factor = 2 } : tensor<Tx32xf32>
                  %3 = rms_norm %7, %nw {eps=1e-5} : tensor<Tx32xf32>
                  return "out" = %3 , "e" = %_e$1
                }
                """;
        // %nw is never defined
        IrException e = assertThrows(IrException.class, () -> IrParser.parse(text, "free.ir"));
        assertEquals(List.of("free.ir:8:21: undefined value %nw"), e.problems());

        String fixed = text.replace("  %3 = rms_norm", "  %nw = param \"nw\" : tensor<32xf32>\n  %3 = rms_norm");
        Graph g = IrParser.parse(fixed, "free.ir");
        assertEquals("""
                graph @g {
                  %0 = input "tokens" : tensor<Txi32>
                  %1 = param "w" {hint = 1, split = "axis1"} : tensor<16x32xq8_0>
                  %2 = embed %1, %0 : tensor<Tx32xf32>
                  %3 = scale %2 {factor = 2} : tensor<Tx32xf32>
                  %4 = param "nw" : tensor<32xf32>
                  %5 = rms_norm %3, %4 {eps = 1.0e-5} : tensor<Tx32xf32>
                  return "out" = %5, "e" = %2
                }
                """, IrPrinter.print(g));
        assertEquals(1, g.nodes().get(1).attrs().integer("hint"));
    }

    @Test
    void canonicalTextIsAFixedPoint() throws IOException {
        for (String t : List.of(resource("text/llama_layer.ir"), resource("text/corner_cases.ir"))) {
            List<Graph> graphs = IrParser.parseAll(t, "canonical");
            assertEquals(t, IrPrinter.printAll(graphs));
        }
    }

    @Test
    void windowsLineEndingsAndAByteOrderMark() throws IOException {
        String golden = resource("text/llama_layer.ir");
        Graph g = IrParser.parse("\uFEFF" + golden.replace("\n", "\r\n"), "crlf.ir");
        assertEquals(golden, IrPrinter.print(g));
        IrException e = assertThrows(IrException.class, () -> IrParser.parse("graph @g {\r\n  return\r\n}\r\n", "crlf.ir"));
        assertEquals(List.of("crlf.ir:2:3: graph @g has no outputs"), e.problems());
    }

    @Test
    void doublesRoundTripBitExactly() {
        double[] ds = {0.0, -0.0, 1.0, -1.5, 1e-5, 1e7, 1e-3, 1e21, 1e22, 9.999999999999999e22, Double.MIN_VALUE, -Double.MIN_VALUE,
                Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, Math.PI, 1.0 / 3, 0.1 + 0.2, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NaN, Math.nextUp(1.0), Math.nextDown(Double.MIN_NORMAL), 4.35e-310, 123456789012345678.0};
        for (double d : ds) {
            GraphBuilder b = new GraphBuilder("d");
            Node x = b.input("x", TensorType.of(DType.F32, 2));
            b.output("y", b.add(OpKind.SCALE, Attrs.of("factor", d, "list", List.of(d, -d)), x));
            Graph g = b.build();
            Graph back = IrParser.parse(IrPrinter.print(g), "d");
            double got = back.output("y").attrs().real("factor");
            if (Double.isNaN(d)) assertTrue(Double.isNaN(got));
            else assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits(got), () -> d + " came back as " + got);
            assertTrue(g.structurallyEquals(back), IrPrinter.print(g));
        }
    }

    @Test
    void integersStayIntegersAndReachTheExtremes() {
        GraphBuilder b = new GraphBuilder("i");
        Node x = b.input("x", TensorType.of(DType.F32, 2));
        b.output("y", b.add(OpKind.SILU, Attrs.of("min", Long.MIN_VALUE, "max", Long.MAX_VALUE, "ints", List.of(1L, -2L), "flag", true, "no", false,
                "empty", List.of()), x));
        Graph g = b.build();
        String text = IrPrinter.print(g);
        assertTrue(text.contains("{empty = [], flag = true, ints = [1, -2], max = 9223372036854775807, min = -9223372036854775808, no = false}"), text);
        assertRoundTrips(g);
        Attrs a = IrParser.parse(text, "i").output("y").attrs();
        assertEquals(Long.MIN_VALUE, a.integer("min"));
        assertEquals(List.of(1L, -2L), a.get("ints"));
    }

    @Test
    void namesAndStringsWithEscapesRoundTrip() {
        List<String> names = List.of("blk.0.attn_q.weight", "quote\"d", "back\\slash", "new\nline\r\t", "nul\u0000\u0007\u007f\u0085",
                "unicode é ✓", "emoji 😀", "lone \ud800 high", "lone \udc00 low", "\\u0041 is not A");
        GraphBuilder b = new GraphBuilder("weird \"graph\"\n");
        for (int i = 0; i < names.size(); i++) {
            Node p = b.add(OpKind.PARAM, List.of(), Attrs.of("name", names.get(i), names.get(i), names.get(i)), TensorType.of(DType.F32, 2));
            b.output(names.get(i), p);
        }
        Graph g = b.build();
        assertRoundTrips(g);
        Graph back = IrParser.parse(IrPrinter.print(g), "s");
        for (int i = 0; i < names.size(); i++) assertEquals(names.get(i), back.nodes().get(i).name());
        assertEquals(g.name(), back.name());
    }

    @Test
    void keywordsAndOddKeysAsAttributeNames() {
        GraphBuilder b = new GraphBuilder("k");
        Node x = b.input("x", TensorType.of(DType.F32, 2));
        Attrs a = Attrs.of("graph", 1, "return", 2, "true", 3, "false", 4, "inf", 5, "nan", 6, "tensor", 7, "a.b", 8, "", 9, "x y", 10, "name", "not a leaf");
        b.output("y", b.add(OpKind.GELU, a, x));
        Graph g = b.build();
        String text = IrPrinter.print(g);
        assertTrue(text.contains("{\"\" = 9, \"a.b\" = 8, false = 4, graph = 1, inf = 5, name = \"not a leaf\", nan = 6, return = 2, tensor = 7, true = 3, \"x y\" = 10}"), text);
        assertRoundTrips(g);
    }

    @Test
    void symbolsContainingXAreParenthesized() {
        TensorType t = new TensorType(new Shape(List.of(Dim.sym("ctx"), Dim.sym("x"), Dim.of(8), Dim.sym("f32"), Dim.sym("T"))), DType.F16);
        assertEquals("tensor<(ctx)x(x)x8xf32xTxf16>", IrPrinter.type(t));
        assertEquals("tensor<f32>", IrPrinter.type(TensorType.of(DType.F32)));
        GraphBuilder b = new GraphBuilder("sym");
        b.output("s", b.state("s", t));
        assertRoundTrips(b.build());
        // parenthesizing other symbols is accepted too
        Graph g = IrParser.parse("graph @g { %0 = input \"a\" : tensor<(T)x4xf32> return \"a\" = %0 }", "p");
        assertEquals(TensorType.of(DType.F32, "T", 4), g.output("a").type());
    }

    @Test
    void graphNamesNeedingQuotes() {
        for (String name : List.of("g", "model-v1.2", "$x", "0", "with space", "", "ünï", "a\"b")) {
            GraphBuilder b = new GraphBuilder(name);
            b.output("x", b.input("x", TensorType.of(DType.F32)));
            assertRoundTrips(b.build());
        }
        assertEquals("@model-v1.2", IrPrinter.graphName("model-v1.2"));
        assertEquals("@\"with space\"", IrPrinter.graphName("with space"));
    }

    @Test
    void parseAllReadsSeveralGraphsAndParseWantsOne() {
        Graph a = SampleGraphs.llamaLayer();
        GraphBuilder b = new GraphBuilder("other");
        b.output("x", b.silu(b.input("x", TensorType.of(DType.F32, 3))));
        Graph other = b.build();
        String text = IrPrinter.printAll(List.of(a, other, a));
        List<Graph> back = IrParser.parseAll(text, "two");
        assertEquals(3, back.size());
        assertTrue(back.get(0).structurallyEquals(a) && back.get(1).structurallyEquals(other) && back.get(2).structurallyEquals(a));
        assertEquals(text, IrPrinter.printAll(back));
        assertEquals(List.of(), IrParser.parseAll("// nothing here\n", "empty"));

        IrException many = assertThrows(IrException.class, () -> IrParser.parse(text, "two.ir"));
        int secondGraphLine = (int) IrPrinter.print(a).lines().count() + 2;
        assertEquals(List.of("two.ir:" + secondGraphLine + ":1: expected one graph, found 3"), many.problems());
        IrException none = assertThrows(IrException.class, () -> IrParser.parse("  // none\n", "none.ir"));
        assertEquals(List.of("none.ir:1:1: expected a graph, found none"), none.problems());
    }

    @Test
    void parseAllFromAFile(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path f = dir.resolve("g.ir");
        Files.writeString(f, IrPrinter.print(SampleGraphs.llamaLayer()) + "graph @bad { return }\n");
        IrException e = assertThrows(IrException.class, () -> IrParser.parseAll(f));
        assertEquals(1, e.problems().size());
        assertTrue(e.problems().getFirst().startsWith(f + ":"), e.getMessage());
        assertTrue(e.problems().getFirst().endsWith(": graph @bad has no outputs"), e.getMessage());
    }

    @Test
    void variadicOpsTakeAnyOperandCountFromTheirMinimum() {
        String text = """
                graph @qkv {
                  %0 = input "x" : tensor<Tx8xf32>
                  %1 = param "nw" : tensor<8xf32>
                  %2 = param "wq" : tensor<8x8xq8_0>
                  %3 = param "wk" : tensor<4x8xf32>
                  %4 = param "wv" : tensor<4x8xf16>
                  %5 = norm_matmul %0, %1, %2, %3, %4 {eps = 1.0e-5} : tensor<Tx16xf32>
                  %6 = norm_matmul %0, %1, %2 {eps = 1.0e-5} : tensor<Tx8xf32>
                  return "qkv" = %5, "q" = %6
                }
                """;
        assertRoundTrips(IrParser.parse(text, "qkv.ir"));
        IrException e = assertThrows(IrException.class, () -> IrParser.parse(text.replace("%6 = norm_matmul %0, %1, %2 ", "%6 = norm_matmul %0, %1 "), "short.ir"));
        assertEquals(List.of("short.ir:8:8: norm_matmul expects at least 3 operands, got 2"), e.problems());
    }

    @Test
    void collectsEveryProblemWithItsLocation() {
        String text = """
                graph @g {
                  %0 = input "x" : tensor<Tx64xf32>
                  %1 = param "w" : tensor<32x32xf32>
                  %2 = matmul %0, %1 : tensor<Tx32xf32>
                  %3 = silu %9 : tensor<Tx64xf32>
                  %4 = silu %2 : tensor<Tx64xf32>
                  %5 = frobnicate %0 : tensor<Tx64xf33>
                  %0 = gelu %0 : tensor<Tx64xf32>
                  return "a" = %0, "a" = %4
                }
                """;
        IrException e = assertThrows(IrException.class, () -> IrParser.parse(text, "many.ir"));
        assertEquals(List.of(
                "many.ir:4:8: matmul: inner dims differ: activation Tx64, weight 32x32 (x[..., K] . w[N, K])",
                "many.ir:5:13: undefined value %9",
                "many.ir:7:8: unknown op 'frobnicate'",
                "many.ir:7:36: unknown dtype 'f33'",
                "many.ir:8:3: value %0 is already defined at line 2",
                "many.ir:9:20: output \"a\" is declared twice"), e.problems());
        // %4 uses %2, whose statement is in error: no cascade
    }

    @Test
    void declaredTypesAreChecked() {
        String text = """
                graph @g {
                  %0 = input "x" : tensor<Tx64xf32>
                  %1 = silu %0 : tensor<Tx32xf32>
                  return "a" = %1
                }
                """;
        IrException e = assertThrows(IrException.class, () -> IrParser.parse(text, "t.ir"));
        assertEquals(List.of("t.ir:3:18: silu: declared type tensor<Tx32xf32> but the operands give tensor<Tx64xf32>"), e.problems());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "graph", "graph @", "graph @g {", "graph @g { return", "}", "graph @g { %0 = }", "graph @g { %0 = input \"x : tensor<f32> return }",
            "graph @g { %0 = input \"x\" : tensor<f32 return }", "graph @g { %0 = input \"x\" : tensor<f32> return \"a\" = %0 } }",
            "\u0000\u0001", "graph @g { %0 = input \"x\" {a = [[1]]} : tensor<f32> return \"a\" = %0 }",
            "graph @g { %0 = input \"x\" {a = } : tensor<f32> return \"a\" = %0 }", "@@@@", "%%%", "graph @g { return \"a\" = }",
            "graph @g { %0 = input \"x\" : tensor<f32> return \"a\" = %0 } graph @h { %0 = input \"\\x\" : tensor<f32> return }"})
    void malformedInputGivesOnlyIrExceptionsWithLocations(String text) {
        IrException e = assertThrows(IrException.class, () -> IrParser.parse(text, "bad.ir"));
        assertFalse(e.problems().isEmpty());
        for (String p : e.problems()) assertTrue(p.matches("(?s)bad\\.ir:\\d+:\\d+: .+"), p);
    }

    @Test
    void errorCountIsBounded() {
        StringBuilder sb = new StringBuilder("graph @g {\n");
        for (int i = 0; i < 500; i++) sb.append("  %").append(i).append(" = silu %undefined : tensor<f32>\n");
        sb.append("  return\n}\n");
        IrException e = assertThrows(IrException.class, () -> IrParser.parse(sb.toString(), "big.ir"));
        assertEquals(IrParser.MAX_PROBLEMS + 1, e.problems().size());
        assertTrue(e.problems().getLast().contains("too many problems"));
    }

    @Test
    void printerShowsForeignOperandsOfInvalidGraphs() {
        GraphBuilder other = new GraphBuilder("other");
        Node foreign = other.input("x", TensorType.of(DType.F32, 2));
        GraphBuilder b = new GraphBuilder("g");
        Node y = b.input("y", TensorType.of(DType.F32, 2));
        b.output("y", y);
        Graph valid = b.build();
        Graph broken = new Graph("g", valid.nodes(), java.util.Map.of("z", foreign));
        assertTrue(IrPrinter.print(broken).contains("return \"z\" = %undefined_0"), IrPrinter.print(broken));
    }

    /**
     * A placed graph (what split passes print and {@code ggufc ir -sm} shows) parses back to the same text: devices,
     * split states, sliced names, the three collectives, a KV cache cut by heads, and one weight ("norm") declared on
     * both devices under the same name.
     */
    @Test
    void aPlacedGraphPrintsAndParsesBackToTheSameText() {
        String text = """
                graph @placed {
                  %0 = input "x" {device = 0} : tensor<Tx4xf32>
                  %1 = param "norm" {device = 0} : tensor<4xf32>
                  %2 = rms_norm %0, %1 {device = 0, eps = 1.0e-5} : tensor<Tx4xf32>
                  %3 = param "w[0:2,:]" {device = 0, split = "shard(0, 0:2 of 4)"} : tensor<2x4xf32>
                  %4 = matmul %2, %3 {device = 0, split = "shard(1, 0:2 of 4)"} : tensor<Tx2xf32>
                  %5 = param "o[:,0:2]" {device = 0, split = "shard(1, 0:2 of 4)"} : tensor<4x2xf32>
                  %6 = matmul %4, %5 {device = 0, split = "partial"} : tensor<Tx4xf32>
                  %7 = transfer %0 {device = 1} : tensor<Tx4xf32>
                  %8 = param "norm" {device = 1} : tensor<4xf32>
                  %9 = rms_norm %7, %8 {device = 1, eps = 1.0e-5} : tensor<Tx4xf32>
                  %10 = param "w[2:4,:]" {device = 1, split = "shard(0, 2:4 of 4)"} : tensor<2x4xf32>
                  %11 = matmul %9, %10 {device = 1, split = "shard(1, 2:4 of 4)"} : tensor<Tx2xf32>
                  %12 = param "o[:,2:4]" {device = 1, split = "shard(1, 2:4 of 4)"} : tensor<4x2xf32>
                  %13 = matmul %11, %12 {device = 1, split = "partial"} : tensor<Tx4xf32>
                  %14 = all_reduce %6, %13 {device = 0, reduce = "bf16"} : tensor<Tx4xf32>
                  %15 = all_reduce %6, %13 {device = 1, reduce = "bf16"} : tensor<Tx4xf32>
                  %16 = all_gather %4, %11 {axis = 1, device = 0} : tensor<Tx4xf32>
                  %17 = state "cache.k.0[:,0:1,:]" {device = 0, split = "shard(1, 0:1 of 2)"} : tensor<8x1x2xf32>
                  %18 = reshape %4 {device = 0, split = "shard(1, 0:1 of 2)"} : tensor<Tx1x2xf32>
                  %19 = input "pos" {device = 0} : tensor<Txi32>
                  %20 = kv_write %17, %18, %19 {device = 0, split = "shard(1, 0:1 of 2)"} : tensor<8x1x2xf32>
                  return "y" = %14,
                         "y1" = %15,
                         "g" = %16,
                         "cache.k.0[:,0:1,:]" = %20
                }
                """;
        Graph g = IrParser.parse(text, "placed.ir");
        assertEquals(text, IrPrinter.print(g));
        assertRoundTrips(g);
        assertEquals(java.util.Set.of(0, 1), ggufc.ir.Placement.devices(g));
        assertEquals(2, g.params().stream().filter(p -> p.name().equals("norm")).count());
    }
}
