package ggufc.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.GraphModule;
import ggufc.ir.IrException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Modules of graphs (a target step and its draft step): text round trip, and the checks that span graphs. */
class GraphModuleTest {
    /** A target that writes a cache and outputs its hidden rows; a draft that reads both. */
    static final String MODULE = """
            module @pair {
              graph @target {
                %0 = input "x" : tensor<Tx1x4xf32>
                %1 = state "cache" : tensor<8x1x4xf32>
                %2 = input "pos" : tensor<Txi32>
                %3 = kv_write %1, %0, %2 : tensor<8x1x4xf32>
                %4 = silu %0 : tensor<Tx1x4xf32>
                return "cache" = %3, "hidden" = %4
              }

              graph @target_draft {
                %0 = input "hidden" : tensor<1x1x4xf32>
                %1 = state "cache" : tensor<8x1x4xf32>
                %2 = input "pos" : tensor<1xi32>
                %3 = kv_write %1, %0, %2 : tensor<8x1x4xf32>
                %4 = silu %0 : tensor<1x1x4xf32>
                return "cache" = %3, "logits" = %4
              }
            }
            """;

    @Test
    void aModulePrintsAndParsesBackAsOneUnit() {
        GraphModule m = IrParser.parseModule(MODULE, "pair.ir");
        assertEquals("pair", m.name());
        assertEquals(List.of("target", "target_draft"), m.graphs().stream().map(g -> g.name()).toList());
        assertEquals(Map.of("cache", List.of("target", "target_draft")), m.sharedStates());
        String printed = IrPrinter.print(m);
        assertEquals(MODULE, printed);
        GraphModule again = IrParser.parseModule(printed, "again.ir");
        for (int i = 0; i < 2; i++) assertTrue(m.graphs().get(i).structurallyEquals(again.graphs().get(i)));
        // parseAll reads the module's graphs too, in file order
        assertEquals(List.of("target", "target_draft"), IrParser.parseAll(MODULE, "pair.ir").stream().map(g -> g.name()).toList());
        assertNotNull(m.graph("target_draft"));
    }

    @Test
    void aStateSharedByNameMustHaveOneType() {
        String bad = MODULE.replace("%1 = state \"cache\" : tensor<8x1x4xf32>\n    %2 = input \"pos\" : tensor<1xi32>\n    %3 = kv_write %1, %0, %2 : tensor<8x1x4xf32>\n    %4 = silu %0 : tensor<1x1x4xf32>",
                "%1 = state \"cache\" : tensor<8x1x4xf16>\n    %2 = input \"pos\" : tensor<1xi32>\n    %3 = kv_write %1, %0, %2 : tensor<8x1x4xf16>\n    %4 = silu %0 : tensor<1x1x4xf32>");
        assertTrue(!bad.equals(MODULE));
        IrException e = assertThrows(IrException.class, () -> IrParser.parseModule(bad, "pair.ir"));
        assertEquals(List.of("pair.ir:1:8: state \"cache\" is tensor<8x1x4xf32> in @target but tensor<8x1x4xf16> in @target_draft (a state shared by name is one buffer)"), e.problems());
    }

    @Test
    void anInputFedByAnotherGraphsOutputHasItsRowWidth() {
        String bad = MODULE.replace("%0 = input \"hidden\" : tensor<1x1x4xf32>", "%0 = input \"hidden\" : tensor<1x1x2xf32>")
                .replace("%3 = kv_write %1, %0, %2 : tensor<8x1x4xf32>\n    %4 = silu %0 : tensor<1x1x4xf32>", "%4 = silu %0 : tensor<1x1x2xf32>")
                .replace("return \"cache\" = %3, \"logits\" = %4", "return \"logits\" = %4");
        IrException e = assertThrows(IrException.class, () -> IrParser.parseModule(bad, "pair.ir"));
        assertTrue(e.getMessage().contains("input \"hidden\" of @target_draft is tensor<1x1x2xf32> but @target's output \"hidden\" that feeds it is tensor<Tx1x4xf32>"), e.getMessage());
    }

    @Test
    void moduleShapeErrorsAreOneLineEach() {
        IrException twoNames = assertThrows(IrException.class, () -> IrParser.parseModule(MODULE.replace("@target_draft", "@target"), "pair.ir"));
        assertTrue(twoNames.problems().stream().anyMatch(p -> p.contains("two graphs are named @target")), twoNames.getMessage());
        String graph = "graph @g {\n  %0 = input \"x\" : tensor<4xf32>\n  return \"x\" = %0\n}\n";
        assertEquals(List.of("g.ir:1:1: expected a module, found none", "g.ir:1:1: a graph outside the module"),
                assertThrows(IrException.class, () -> IrParser.parseModule(graph, "g.ir")).problems());
        assertTrue(assertThrows(IrException.class, () -> IrParser.parse(MODULE, "pair.ir")).getMessage().contains("expected one graph, found a module"));
    }
}
