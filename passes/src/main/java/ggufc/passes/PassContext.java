package ggufc.passes;

import ggufc.ir.TensorData;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * What a pass may consult besides the graph: the target it compiles for and, when the caller has
 * them, the weights (constant folding dequantizes small ones at compile time). Passes also count
 * what they did here ({@code count("attention", 5)}); the pass manager shows the counts per pass.
 */
public final class PassContext {
    private final Target target;
    private final Function<String, TensorData> weights;
    private final Map<String, Integer> counts = new LinkedHashMap<>();

    public PassContext(Target target, Function<String, TensorData> weights) {
        this.target = target;
        this.weights = weights;
    }

    public PassContext(Target target) { this(target, null); }

    public Target target() { return target; }

    /** Param bytes by name, or null when compiling without weights. */
    public Function<String, TensorData> weights() { return weights; }

    public void count(String what, int n) { counts.merge(what, n, Integer::sum); }

    public void count(String what) { count(what, 1); }

    /** Counts since the last {@link #takeCounts}. */
    public Map<String, Integer> takeCounts() {
        Map<String, Integer> r = new LinkedHashMap<>(counts);
        counts.clear();
        return r;
    }
}
