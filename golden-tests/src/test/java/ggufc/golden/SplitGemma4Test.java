package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufFile;
import ggufc.gguf.SyntheticLlama;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Placement;
import ggufc.ir.Slices;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import ggufc.passes.PassContext;
import ggufc.passes.Targets;
import ggufc.passes.split.SplitGraph;
import ggufc.passes.split.SplitOptions;
import ggufc.passes.split.SplitStats;
import ggufc.runtime.InterpreterExecutor;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graph mode on Gemma 4 communicates as ik_llama.cpp's does: two all-reduces per layer (attention output, FFN
 * output) and nothing else but the gather of the logits, although Gemma 4 has post-norms on both sub-layer outputs,
 * per-layer inputs, global layers with their own head size where V = K, and layers reading other layers' KV caches.
 *
 * <p>The model is gemma4-tiny with 2 KV heads on its global layers instead of 1. gemma4-tiny's global layers have a
 * single KV head: graph mode keeps each KV-head group whole on one device, so with one group there is nothing to cut
 * and the attention of those layers lands on one device (its output moved by transfer, not all-reduced: over 2
 * devices gemma4-tiny itself gives 9 all-reduces and 3 transfers for its 6 layers, the variant 12 and none). Real
 * Gemma 4 models have several global KV heads (31B: 4, 26B-A4B: 2), so the variant is the case that matters.
 */
class SplitGemma4Test {
    static SyntheticLlama.Config twoGlobalKvHeads() {
        SyntheticLlama.Config c = SyntheticLlama.tiny("gemma4");
        SyntheticLlama.Gemma4 g = c.gemma4();
        assertEquals(1, g.nHeadKvGlobal(), "gemma4-tiny changed: this variant gives its global layers 2 KV heads");
        return c.withGemma4(new SyntheticLlama.Gemma4(g.headDimGlobal(), 2, g.ropePairsGlobal(), g.globalVIsK(), g.sharedKvLayers(), g.perLayerInput()));
    }

    @Test
    void graphModeOverTwoDevicesHasTwoAllReducesPerLayerAndKeepsTheLogits(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gemma4-tiny-2kv.gguf");
        SyntheticLlama.Config c = twoGlobalKvHeads();
        try (GgufFile vocab = GgufFile.open(Goldens.sharedModel("stories260K.gguf"))) {
            SyntheticLlama.write(file, c, vocab, SyntheticLlama.TypePolicy.uniform(GgmlType.F32));
        }
        try (GgufFile f = GgufFile.open(file)) {
            Graph g = ggufc.lift.Lifters.lift(f, new LlamaLifter.Options(64, false, DType.F32));
            Function<String, ggufc.ir.TensorData> w = Slices.wrap(new GgufWeights(f));
            Graph s = new SplitGraph(SplitOptions.even(2)).run(g, new PassContext(Targets.INTERP, w));
            SplitStats st = SplitStats.of(s);
            System.out.println("gemma4-tiny, 2 global KV heads, graph mode over 2 devices: " + st);
            assertEquals(List.of(0, 1), List.copyOf(Placement.devices(s)));
            assertEquals(2 * c.nLayer(), st.allReduces(), "two all-reduces per layer: " + st);
            assertEquals(0, st.transfers(), "no transfers: " + st);
            assertEquals(1, st.allGathers(), "one all-gather, of the logits: " + st);
            Node gather = s.nodes().stream().filter(n -> n.op() == OpKind.ALL_GATHER).findFirst().orElseThrow();
            assertEquals(gather, s.outputs().get("logits"), "the one all-gather is the logits'");

            InterpreterExecutor whole = new InterpreterExecutor(g, w, 64), split = new InterpreterExecutor(s, w, 64);
            int[] prompt = {1, 403, 407, 261, 378, 260};
            compare(split.step(prompt, 0), whole.step(prompt, 0), "prompt");
            for (int t = 0; t < 4; t++) {
                int[] tok = {100 + 37 * t};
                compare(split.step(tok, prompt.length + t), whole.step(tok, prompt.length + t), "decode " + t);
            }
        }
    }

    /** As SplitMeaningTest: within 1e-5 of the largest logit (partial sums are added in another order). */
    private static void compare(float[] got, float[] want, String what) {
        assertEquals(want.length, got.length, what);
        double max = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        double m = max, sc = scale;
        assertTrue(max <= 1e-5 * Math.max(1, scale), () -> what + ": max |diff| " + m + " vs max |logit| " + sc);
    }
}
