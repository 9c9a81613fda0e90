package ggufc.ir.text;

import ggufc.ir.Dim;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.IrException;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Verifier;
import ggufc.ir.gen.RandomGraphs;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Round trips of random graphs through the text form, and robustness against damaged text. */
class RoundTripProperties {

    @Provide
    Arbitrary<Graph> anyGraph() { return RandomGraphs.graphs(false); }

    @Provide
    Arbitrary<Graph> smallGraph() { return RandomGraphs.graphs(true); }

    @Provide
    Arbitrary<List<Graph>> severalGraphs() { return RandomGraphs.graphs().list().ofMinSize(0).ofMaxSize(4); }

    @Provide
    Arbitrary<List<Integer>> edits() { return Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMinSize(1).ofMaxSize(12); }

    static void assertRoundTrip(Graph g) {
        assertEquals(List.of(), Verifier.check(g));
        String text = IrPrinter.print(g);
        Graph back = IrParser.parse(text, "printed");
        assertTrue(g.structurallyEquals(back), () -> "parse(print(g)) differs:\n" + text + "\nreparsed:\n" + IrPrinter.print(back));
        assertEquals(text, IrPrinter.print(back), "print(parse(text)) is not the canonical text");
    }

    @Property(tries = 400)
    void parseOfPrintIsTheSameGraph(@ForAll("anyGraph") Graph g) {
        assertRoundTrip(g);
    }

    @Property(tries = 200)
    void smallGraphsRoundTrip(@ForAll("smallGraph") Graph g) {
        assertRoundTrip(g);
    }

    @Property(tries = 100)
    void severalGraphsPerFile(@ForAll("severalGraphs") List<Graph> graphs) {
        String text = IrPrinter.printAll(graphs);
        List<Graph> back = IrParser.parseAll(text, "all");
        assertEquals(graphs.size(), back.size());
        for (int i = 0; i < graphs.size(); i++) assertTrue(graphs.get(i).structurallyEquals(back.get(i)));
        assertEquals(text, IrPrinter.printAll(back));
    }

    /** Damaged text either still parses (to a graph that prints canonically) or fails with located problems only. */
    @Property(tries = 600)
    void damagedTextFailsCleanly(@ForAll("anyGraph") Graph g, @ForAll("edits") List<Integer> edits) {
        String text = damage(IrPrinter.print(g), edits);
        List<Graph> parsed;
        try {
            parsed = IrParser.parseAll(text, "damaged.ir");
        } catch (IrException e) {
            assertTrue(!e.problems().isEmpty());
            for (String p : e.problems()) {
                assertTrue(p.matches("(?s)damaged\\.ir:\\d+:\\d+: .+") || p.equals("damaged.ir: too many problems, stopped after " + IrParser.MAX_PROBLEMS),
                        () -> "badly formed problem '" + p + "' for\n" + text);
            }
            return;
        }
        String canonical = IrPrinter.printAll(parsed);
        assertEquals(canonical, IrPrinter.printAll(IrParser.parseAll(canonical, "canonical")));
    }

    private static final List<String> SNIPPETS = List.of("%", "%0", "%999", "\"", "\\", "{", "}", "[", "]", "(", ")", ",", "=", ":", "x", "0", "-",
            "1.5e", "tensor<", ">", "@", "\n", " ", "return", "graph", "//", "inf", "nan", "\"a\" = %0", "é", "😀", "\u0000", "q4_k", "f32", "T",
            "add", "{a = 1}", "%1, ");

    static String damage(String text, List<Integer> edits) {
        StringBuilder sb = new StringBuilder(text);
        for (int i = 0; i + 1 < edits.size() || i == 0; i += 2) {
            int kind = edits.get(i) % 6;
            int at = (i + 1 < edits.size() ? edits.get(i + 1) : edits.get(i)) % (sb.length() + 1);
            switch (kind) {
                case 0 -> sb.delete(at, Math.min(sb.length(), at + 1 + edits.get(i) % 5));
                case 1 -> sb.insert(at, SNIPPETS.get(edits.get(i) / 6 % SNIPPETS.size()));
                case 2 -> { // a digit changed: dims, value numbers
                    for (int j = at; j < sb.length(); j++) {
                        if (Character.isDigit(sb.charAt(j))) {
                            sb.setCharAt(j, (char) ('0' + edits.get(i) / 6 % 10));
                            break;
                        }
                    }
                }
                default -> { // lines swapped or duplicated
                    List<String> lines = new ArrayList<>(sb.toString().lines().toList());
                    if (lines.isEmpty()) break;
                    int a = at % lines.size(), b = edits.get(i) / 6 % lines.size();
                    if (kind == 3) lines.add(b, lines.get(a));
                    else {
                        String t = lines.get(a);
                        lines.set(a, lines.get(b));
                        lines.set(b, t);
                    }
                    sb = new StringBuilder(String.join("\n", lines));
                }
            }
        }
        return sb.toString();
    }

    @Example
    void everyOpKindIsGenerated() {
        for (boolean small : new boolean[] {false, true}) {
            Set<OpKind> seen = EnumSet.noneOf(OpKind.class);
            boolean stateWriteBack = false, quantizedParam = false, symbolic = false, severalOutputs = false;
            for (long seed = 0; seed < 300; seed++) {
                Graph g = RandomGraphs.generate(seed, small);
                seen.addAll(RandomGraphs.opCounts(g).keySet());
                for (Node s : g.states()) stateWriteBack |= g.outputs().containsKey(s.name());
                for (Node p : g.params()) quantizedParam |= p.dtype().isQuantized();
                symbolic |= !g.symbols().isEmpty();
                severalOutputs |= g.outputs().size() > 1;
            }
            // the collectives exist only in placed graphs (every node on a device, values crossing devices through them),
            // which the generator does not make: IrTextTest's placed round trip, invalid/placement.ir, the split goldens
            // and the passes' SplitProperties cover them
            assertEquals(EnumSet.complementOf(EnumSet.copyOf(OpKind.COLLECTIVES)), seen, "small=" + small);
            assertTrue(stateWriteBack && quantizedParam && severalOutputs);
            assertEquals(!small, symbolic);
        }
    }

    /** What the interpreter relies on: static small shapes, bounded i32 inputs, sensible attributes. */
    @Property(tries = 300)
    void smallGraphsAreCheapAndSensible(@ForAll("smallGraph") Graph g) {
        long tokenMax = -1, posMax = -1;
        for (Node n : g.inputs()) {
            if (n.dtype() != DType.I32) continue;
            assertTrue(n.name().equals("tokens") || n.name().equals("pos"), n.name());
            long max = n.attrs().integer("max");
            if (n.name().equals("tokens")) tokenMax = max;
            else posMax = max;
        }
        for (Node n : g.nodes()) {
            assertTrue(n.shape().isStatic(), n.toString());
            assertTrue(n.shape().staticElements() <= RandomGraphs.SMALL_MAX_ELEMENTS, n.toString());
            for (Map.Entry<String, Object> a : n.attrs().map().entrySet()) {
                if (a.getValue() instanceof Double d) assertTrue(Double.isFinite(d) && Math.abs(d) <= 1e6, n + " " + a);
            }
            switch (n.op()) {
                case EMBED -> assertTrue(n.input(0).shape().dim(0).size() > tokenMax);
                case KV_WRITE -> assertTrue(n.input(0).shape().dim(0).size() > posMax);
                case KV_READ -> assertTrue(n.shape().dim(0).size() <= n.input(0).shape().dim(0).size());
                case RMS_NORM -> assertTrue(n.attrs().real("eps") >= 1e-6);
                case PARAM -> {
                    if (n.dtype().isQuantized()) assertEquals(0, n.shape().last().size() % n.dtype().blockSize());
                }
                default -> {}
            }
        }
        for (Dim d : g.nodes().getLast().shape().dims()) assertTrue(!d.isSymbolic());
    }
}
