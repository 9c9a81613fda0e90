// Speculative vs plain greedy decoding in one warm process: 20 warm-up rounds, then 5 rounds alternating the
// configurations, medians of decode tok/s; fails if any text differs from plain decoding's.
import ggufc.runtime.*;
import ggufc.runtime.spec.*;
import ggufc.ir.DType;
import java.nio.file.Path;
import java.util.*;
public class SpecBench {
    public static void main(String[] a) {
        int threads = Integer.parseInt(a[1]), n = Integer.parseInt(a[2]);
        SamplerOptions g = new SamplerOptions(0, 40, 0.95, 42);
        try (LoadedModel plain = LoadedModel.open(Path.of(a[0]), 2048, DType.F32, false, LoadedModel.Backend.VECTOR, threads, "default");
             LoadedModel spec = LoadedModel.open(Path.of(a[0]), 2048, DType.F32, true, LoadedModel.Backend.VECTOR, threads, "default")) {
            StepExecutor ee2 = spec.earlyExitDraft(2), ee4 = spec.earlyExitDraft(4);
            String[] names = {"plain", "ngram dm3", "ngram dm8", "early-exit k2 dm3", "early-exit k4 dm3", "early-exit k4 dm2"};
            Map<String, List<Double>> tps = new LinkedHashMap<>();
            Map<String, String> acc = new HashMap<>();
            String ref = null;
            for (int round = 0; round < 25; round++) {
                for (String nm : names) {
                    Speculation s = switch (nm) {
                        case "plain" -> null;
                        case "ngram dm3" -> new Speculation(new NgramDrafter(), 3, 0);
                        case "ngram dm8" -> new Speculation(new NgramDrafter(), 8, 0);
                        case "early-exit k2 dm3" -> new Speculation(new EarlyExitDrafter(ee2, 0), 3, 0);
                        case "early-exit k4 dm3" -> new Speculation(new EarlyExitDrafter(ee4, 0), 3, 0);
                        default -> new Speculation(new EarlyExitDrafter(ee4, 0), 2, 0);
                    };
                    Generator.Result r = (s == null ? plain : spec).generator().generate("Once upon a time", n, g, false, x -> {}, s);
                    if (ref == null) ref = r.text();
                    if (!ref.equals(r.text())) throw new AssertionError(nm + " differs");
                    if (round >= 20) tps.computeIfAbsent(nm, k -> new ArrayList<>()).add(r.decodeTokensPerSecond());
                    acc.put(nm, String.format("acceptance %.3f, %.2f tok/target step, %d target steps", r.acceptance(), r.tokensPerTargetStep(), r.targetSteps()));
                }
            }
            double base = 0;
            for (var e : tps.entrySet()) {
                List<Double> l = new ArrayList<>(e.getValue()); Collections.sort(l);
                double med = l.get(l.size() / 2);
                if (e.getKey().equals("plain")) base = med;
                System.out.printf("%-18s median %.0f tok/s (%.2fx plain) %s%n", e.getKey(), med, med / base, e.getKey().equals("plain") ? "" : acc.get(e.getKey()));
            }
        }
    }
}
