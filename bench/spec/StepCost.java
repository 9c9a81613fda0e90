// The cost of one target step of T tokens (every row's logits) against a 1-token step, warm, in one process.
import ggufc.runtime.*;
import ggufc.ir.DType;
import java.nio.file.Path;
public class StepCost {
    public static void main(String[] a) {
        int threads = Integer.parseInt(a[1]);
        try (LoadedModel m = LoadedModel.open(Path.of(a[0]), 2048, DType.F32, true, LoadedModel.Backend.VECTOR, threads, "default")) {
            StepExecutor ex = m.executor();
            double one = 0;
            for (int round = 0; round < 3; round++) {
                for (int T : new int[] {1, 2, 4, 8, 17}) {
                    int[] toks = new int[T];
                    for (int i = 0; i < T; i++) toks[i] = 100 + i;
                    int reps = 0;
                    long t0 = System.nanoTime();
                    // at least 3 steps and 0.3 s per size
                    while (reps < 3 || System.nanoTime() - t0 < 300_000_000L) {
                        if (T == 1) ex.stepArgmax(toks, 50); else ex.stepAll(toks, 50);
                        reps++;
                    }
                    double us = (System.nanoTime() - t0) / 1e3 / reps;
                    if (T == 1) one = us;
                    if (round == 2) System.out.printf("T=%d: %.1f us/step (%.2fx T=1)%n", T, us, us / one);
                }
            }
        }
    }
}
