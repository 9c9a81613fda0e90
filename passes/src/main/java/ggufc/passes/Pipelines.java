package ggufc.passes;

import java.util.ArrayList;
import java.util.List;

/** The default pipeline, in one place. */
public final class Pipelines {
    private Pipelines() {}

    /**
     * The order, and why:
     * <ol>
     *   <li>canonicalize, cse, fold-constants: patterns below then see one form of each
     *       computation (view chains folded, duplicates merged, constants computed);</li>
     *   <li>fold-quant-dequant before the fusions, so fused ops take the stored weights directly;</li>
     *   <li>fuse-attention and fuse-rope-kv-write: independent of the rest;</li>
     *   <li>fuse-glu before fuse-norm-matmul, which merges every matmul reading a norm and would
     *       otherwise swallow the gate/up pair into a norm_matmul;</li>
     *   <li>fuse-matmul-add after fuse-norm-matmul: a matmul that reads a norm keeps the norm (the
     *       larger saving) and the residual add stays;</li>
     *   <li>quantize-activations after every fusion: fusions match f32 activations, and fused
     *       norm/glu kernels quantize inside;</li>
     *   <li>canonicalize, cse, dce tidy what the fusions left (dead norms, dequants, unused views);</li>
     *   <li>kernel grouping last: any later rewrite would invalidate the groups.</li>
     * </ol>
     */
    public static final List<String> DEFAULT = List.of(
            "canonicalize", "cse", "fold-constants",
            "fold-quant-dequant",
            "fuse-attention", "fuse-rope-kv-write",
            "fuse-glu", "fuse-norm-matmul", "fuse-matmul-add",
            "quantize-activations",
            "canonicalize", "cse", "dce",
            "fuse-elementwise", "fuse-horizontal");

    /** The default pipeline of the target named {@code target} (see {@link Targets}). */
    public static List<Pass> defaultFor(String target) { return forTarget(Targets.byName(target)); }

    /** The default pipeline without the passes {@code target} cannot use. */
    public static List<Pass> forTarget(Target target) {
        List<Pass> r = new ArrayList<>();
        for (String name : DEFAULT) {
            Pass p = PassRegistry.byName(name);
            if (p.unsupportedBy(target).isEmpty()) r.add(p);
        }
        return r;
    }
}
