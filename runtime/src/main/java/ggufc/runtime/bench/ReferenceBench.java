package ggufc.runtime.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The figures printed by the llama.cpp reference's {@code bench.sh}: the medians of
 * {@code refllama bench} (the same protocol as {@link BenchRun}) and of the official
 * {@code llama-bench} (pp P and tg N from an empty context). NaN where a figure is missing.
 */
public record ReferenceBench(double promptTps, double decodeTps, double llamaBenchPp, double llamaBenchTg) {
    private static final Pattern REF = Pattern.compile("(?m)^(prompt_eval_tps|decode_tps)\\s+median=([0-9.]+)");
    private static final Pattern LB = Pattern.compile("(?m)^(prompt_eval_tps|decode_tps)\\s+\\((pp|tg)\\d+\\)\\s+median=([0-9.]+)");

    public static ReferenceBench parse(String out) {
        double pp = Double.NaN, tg = Double.NaN, lpp = Double.NaN, ltg = Double.NaN;
        Matcher m = REF.matcher(out);
        while (m.find()) {
            if (m.group(1).equals("prompt_eval_tps") && Double.isNaN(pp)) pp = Double.parseDouble(m.group(2));
            if (m.group(1).equals("decode_tps") && Double.isNaN(tg)) tg = Double.parseDouble(m.group(2));
        }
        m = LB.matcher(out);
        while (m.find()) {
            if (m.group(2).equals("pp")) lpp = Double.parseDouble(m.group(3)); else ltg = Double.parseDouble(m.group(3));
        }
        return new ReferenceBench(pp, tg, lpp, ltg);
    }
}
