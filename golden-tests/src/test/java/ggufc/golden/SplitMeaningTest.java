package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.Slices;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.Targets;
import ggufc.passes.split.SplitGraph;
import ggufc.passes.split.SplitLayer;
import ggufc.passes.split.SplitOptions;
import ggufc.passes.split.SplitRow;
import ggufc.passes.split.SplitTensor;
import ggufc.runtime.InterpreterExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every split mode keeps the model's meaning, on the interpreter (all devices simulated in one process): for
 * stories260K and every synthetic architecture (F32), over 2, 3 and 4 devices with even and uneven
 * {@code --tensor-split}, a 6-token prompt and 4 decode steps give the unsplit graph's logits: layer split exactly
 * (nothing is summed differently), row, tensor and graph within 1e-5 relative (partial sums are added in another
 * order).
 */
class SplitMeaningTest {
    static Stream<Arguments> cases() {
        List<Arguments> r = new ArrayList<>();
        List<String> models = new ArrayList<>(List.of("stories260K"));
        models.addAll(ArchModels.ARCHITECTURES);
        for (String m : models) {
            for (String mode : List.of("layer", "row", "tensor", "graph")) {
                for (int n : new int[] {2, 3, 4}) {
                    r.add(Arguments.of(m, mode, n, ""));
                    r.add(Arguments.of(m, mode, n, n == 2 ? "3,1" : n == 3 ? "1,2,1" : "1,1,2,1"));
                }
            }
        }
        return r.stream();
    }

    static Path model(String m) {
        return m.equals("stories260K") ? Goldens.sharedModel("stories260K.gguf") : ArchModels.file(m, GgmlType.F32);
    }

    static Pass pass(String mode, SplitOptions o) {
        return switch (mode) {
            case "layer" -> new SplitLayer(o);
            case "row" -> new SplitRow(o);
            case "tensor" -> new SplitTensor(o);
            case "graph" -> new SplitGraph(o);
            default -> throw new IllegalArgumentException(mode);
        };
    }

    @ParameterizedTest(name = "{0} {1} over {2} devices ts=[{3}]")
    @MethodSource("cases")
    void splitKeepsTheLogits(String m, String mode, int n, String ts) {
        try (GgufFile f = GgufFile.open(model(m))) {
            Graph g = ggufc.lift.Lifters.lift(f, new LlamaLifter.Options(64, false, DType.F32));
            Function<String, ggufc.ir.TensorData> w = Slices.wrap(new GgufWeights(f));
            SplitOptions o = new SplitOptions(n, SplitOptions.parseProportions(ts), 0, "f32");
            Graph s = pass(mode, o).run(g, new PassContext(Targets.INTERP, w));
            System.out.printf("split %s %s n=%d ts=[%s]: %s devices %s%n", m, mode, n, ts, ggufc.passes.split.SplitStats.of(s), ggufc.ir.Placement.devices(s));
            InterpreterExecutor whole = new InterpreterExecutor(g, w, 64), split = new InterpreterExecutor(s, w, 64);
            int[] prompt = {1, 403, 407, 261, 378, 260};
            compare(mode, split.step(prompt, 0), whole.step(prompt, 0), "prompt");
            for (int t = 0; t < 4; t++) {
                int[] tok = {100 + 37 * t};
                compare(mode, split.step(tok, prompt.length + t), whole.step(tok, prompt.length + t), "decode " + t);
            }
        }
    }

    private static void compare(String mode, float[] got, float[] want, String what) {
        if (mode.equals("layer")) {
            assertArrayEquals(want, got, 0f, what + ": layer split must give the unsplit logits exactly");
            return;
        }
        double max = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        assertTrue(max <= 1e-5 * Math.max(1, scale), what + ": max |diff| " + max + " vs max |logit| " + scale);
    }
}
