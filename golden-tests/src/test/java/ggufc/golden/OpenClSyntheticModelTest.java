package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.codegen.tornado.lower.LlamaCppActivations;
import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufFile;
import ggufc.gguf.SyntheticLlama;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import ggufc.runtime.InterpreterExecutor;
import ggufc.runtime.device.DeviceExecutor;
import ggufc.runtime.device.OpenClDevice;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole model at realistic head size on OpenCL: a synthetic llama (256 embd, head dim 64, GQA 4:2,
 * FFN 512, 2 layers, 32000-token vocabulary) with K-quant matrices (Q4_K attention, Q6_K FFN), a
 * Q4_0 embedding and a Q8_0 output. Teacher-forced: both sides get the same tokens; at every prompt
 * chunk and decode step the logits must equal the interpreter's (NMSE <= 1e-9).
 */
class OpenClSyntheticModelTest {
    @Test
    void kQuantModelMatchesTheInterpreterStepByStep(@TempDir Path dir) {
        Path model = dir.resolve("synthetic-kquant.gguf");
        SyntheticLlama.Config c = SyntheticLlama.Config.of(256, 512, 2, 4, 2, 128).withSeed(7);
        try (GgufFile vocab = GgufFile.open(Goldens.sharedModel("vocab/ggml-vocab-llama-spm.gguf"))) {
            SyntheticLlama.write(model, c, vocab, (name, ne) -> ne.length < 2 ? GgmlType.F32
                    : name.startsWith("token_embd") ? GgmlType.Q4_0 : name.startsWith("output") ? GgmlType.Q8_0
                    : name.contains("attn_") ? GgmlType.Q4_K : GgmlType.Q6_K);
        }
        try (GgufFile f = GgufFile.open(model); OpenClDevice device = OpenClDevice.open(0)) {
            Graph g = LlamaCppActivations.apply(LlamaLifter.lift(f, new LlamaLifter.Options(128, false, DType.F32)));
            InterpreterExecutor interp = new InterpreterExecutor(g, new GgufWeights(f), 128);
            try (DeviceExecutor ex = new DeviceExecutor(g, new GgufWeights(f), 128, 16, device, false)) {
                int[] prompt = new int[37]; // longer than the 16-token batch: three chunks, the last one partial
                for (int i = 0; i < prompt.length; i++) prompt[i] = 1 + (i * 7919) % 31999;
                check(ex.step(prompt, 0), interp.step(prompt, 0), "prompt");
                int pos = prompt.length;
                for (int s = 0; s < 6; s++) {
                    int[] t = {100 + 997 * s};
                    check(ex.step(t, pos), interp.step(t, pos), "decode step " + s);
                    pos++;
                }
            }
        }
    }

    private static void check(float[] got, float[] want, String what) {
        double err = 0, ref = 0;
        for (int i = 0; i < want.length; i++) {
            err += (got[i] - want[i]) * (double) (got[i] - want[i]);
            ref += want[i] * (double) want[i];
        }
        double nmse = err / ref;
        System.out.printf("opencl synthetic K-quant model, %s: logits NMSE vs interpreter %.3g%n", what, nmse);
        assertTrue(nmse <= 1e-9, what + ": NMSE " + nmse);
    }
}
