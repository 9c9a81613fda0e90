package ggufc.passes;

import ggufc.passes.cleanup.Canonicalize;
import ggufc.passes.cleanup.Cse;
import ggufc.passes.cleanup.Dce;
import ggufc.passes.cleanup.FoldConstants;
import ggufc.passes.fusion.FuseAttention;
import ggufc.passes.fusion.FuseElementwise;
import ggufc.passes.fusion.FuseGlu;
import ggufc.passes.fusion.FuseHorizontal;
import ggufc.passes.fusion.FuseMatmulAdd;
import ggufc.passes.fusion.FuseNormMatmul;
import ggufc.passes.fusion.FuseRopeKvWrite;
import ggufc.passes.quant.FoldQuantDequant;
import ggufc.passes.quant.QuantizeActivations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Every pass by name. Split-mode and MTP passes register here too. */
public final class PassRegistry {
    private PassRegistry() {}

    private static final Map<String, Supplier<Pass>> PASSES = new LinkedHashMap<>();

    static {
        for (Supplier<Pass> s : List.<Supplier<Pass>>of(Canonicalize::new, Cse::new, Dce::new, FoldConstants::new, FoldQuantDequant::new,
                FuseAttention::new, FuseRopeKvWrite::new, FuseGlu::new, FuseNormMatmul::new, FuseMatmulAdd::new,
                QuantizeActivations::new, FuseElementwise::new, FuseHorizontal::new, ggufc.passes.spec.InsertDraftHead::new,
                // the split passes by name: 2 devices, even (ggufc run/ir -sm MODE --device LIST -ts -mg --reduce-type give other options)
                ggufc.passes.split.SplitLayer::new, ggufc.passes.split.SplitRow::new, ggufc.passes.split.SplitTensor::new, ggufc.passes.split.SplitGraph::new,
                ggufc.passes.split.SplitAuto::new)) {
            Pass p = s.get();
            if (!p.name().matches("[a-z]+(-[a-z]+)*")) throw new IllegalStateException("pass name '" + p.name() + "' is not kebab-case");
            if (PASSES.put(p.name(), s) != null) throw new IllegalStateException("two passes named " + p.name());
        }
    }

    public static List<String> names() { return List.copyOf(PASSES.keySet()); }

    public static Pass byName(String name) {
        Supplier<Pass> s = PASSES.get(name);
        if (s == null) throw new PassException("unknown pass '" + name + "' (known: " + String.join(", ", PASSES.keySet()) + ")");
        return s.get();
    }

    /**
     * A pipeline from {@code --passes}: comma-separated names, {@code none} for no pass, or
     * {@code default} for the target's default pipeline (which may appear among other names).
     */
    public static List<Pass> parse(String spec, Target target) {
        List<Pass> r = new ArrayList<>();
        String s = spec.strip();
        if (s.equals("none") || s.isEmpty()) return r;
        for (String name : s.split(",")) {
            name = name.strip();
            if (name.isEmpty()) throw new PassException("empty pass name in --passes=" + spec);
            if (name.equals("default")) r.addAll(Pipelines.forTarget(target));
            else r.add(byName(name));
        }
        return r;
    }
}
