package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgmlType;
import ggufc.ir.DType;
import ggufc.runtime.Generator;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import ggufc.runtime.StepExecutor;
import ggufc.runtime.spec.EarlyExitDrafter;
import ggufc.runtime.spec.EarlyExitTuner;
import ggufc.runtime.spec.Speculation;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The early-exit tuner's replay ({@code ggufc bench --spec-type early-exit}) predicts what the speculative loop
 * does: checked against hand-counted rounds, and against real greedy runs of the loop (drafted, accepted, target
 * steps) on stories260K and a synthetic qwen3, for several layers and draft lengths.
 */
class EarlyExitTunerTest {
    private static final SamplerOptions GREEDY = new SamplerOptions(0, 40, 0.95, 42);

    @Test
    void replayCountsRoundsAsTheLoopDoes() {
        // prompt of 1 token, 10 to make, every draft right, D = 3: rounds at 0 (3 drafts, 4 tokens), 4 (3, 4), then two
        // are left: one draft and the target's own token
        boolean[] all = new boolean[16];
        Arrays.fill(all, true);
        EarlyExitTuner.Replay r = EarlyExitTuner.replay(all, 1, 10, 3, 100);
        assertEquals(List.of(3, 3, 1), r.roundDrafts());
        assertEquals(7, r.drafted());
        assertEquals(7, r.accepted());
        assertEquals(3, r.targetSteps());
        assertEquals(10, r.tokens());
        // prompt of 3 (first verify at position 2), bits 0 1 1 0 | 1 1 1 ..., D = 2, 6 tokens: at 2: drafts 2, bit 2 = 1, bit 3 = 0
        // -> a = 1, 2 tokens, pos 4; at 4: 2 drafts both right -> 3 tokens (5 made), pos 7; at 7: 1 wanted -> full D = 2, a = 2, 6 made
        boolean[] bits = {false, true, true, false, true, true, true, true, true, true};
        EarlyExitTuner.Replay s = EarlyExitTuner.replay(bits, 3, 6, 2, 100);
        assertEquals(List.of(2, 2, 2), s.roundDrafts());
        assertEquals(6, s.drafted());
        assertEquals(1 + 2 + 2, s.accepted());
        // cost: three rounds of 2 drafts at 0.5 and a 3-token verify at 2.0 -> 9 steps for 6 tokens
        assertEquals(9.0, s.cost(0.5, new double[] {0, 1, 1.5, 2.0}), 1e-12);
        assertEquals(6 / 9.0, s.speedup(0.5, new double[] {0, 1, 1.5, 2.0}), 1e-12);
    }

    @ParameterizedTest(name = "{0} {1}, early exit after layer {2}, draft-max {3}")
    @CsvSource({"stories260K, vector, 4, 1", "stories260K, vector, 4, 3", "stories260K, vector, 3, 5", "stories260K, interpreter, 4, 2",
            "qwen3, vector, 1, 3"})
    void replayPredictsTheRealLoop(String model, String backend, int layer, int draftMax) {
        Path file = model.equals("stories260K") ? Goldens.sharedModel("stories260K.gguf") : ArchModels.file(model, GgmlType.F32);
        LoadedModel.Backend be = backend.equals("vector") ? LoadedModel.Backend.VECTOR : LoadedModel.Backend.INTERPRETER;
        int n = 48;
        try (LoadedModel m = LoadedModel.open(file, 96, DType.F32, true, be, 1, "default")) {
            Generator gen = m.generator();
            Generator.Result calib = gen.generate("Once upon a time", n + draftMax, GREEDY, true, x -> {});
            int[] text = Arrays.copyOf(calib.promptTokens(), calib.promptTokens().length + calib.generated().length);
            System.arraycopy(calib.generated(), 0, text, calib.promptTokens().length, calib.generated().length);
            StepExecutor draft = m.earlyExitDraft(layer);
            boolean[] agree = EarlyExitTuner.agreement(draft, text);
            EarlyExitTuner.Replay predicted = EarlyExitTuner.replay(agree, calib.promptTokens().length, n, draftMax, m.executor().contextSize());
            Generator.Result real = gen.generate("Once upon a time", n, GREEDY, true, x -> {}, new Speculation(new EarlyExitDrafter(draft, 0), draftMax, 0));
            String what = model + " " + backend + " K=" + layer + " D=" + draftMax + ": predicted " + predicted + ", ran drafted " + real.drafted() + " accepted "
                    + real.accepted() + " steps " + real.targetSteps();
            System.out.println(what);
            assertEquals(real.drafted(), predicted.drafted(), what);
            assertEquals(real.accepted(), predicted.accepted(), what);
            assertEquals(real.targetSteps(), predicted.targetSteps(), what);
            assertEquals(real.generated().length, predicted.tokens(), what);
            if (model.equals("stories260K") && layer == 4) assertTrue(real.accepted() > 0, "a case that accepts drafts: " + what);
        }
    }
}
