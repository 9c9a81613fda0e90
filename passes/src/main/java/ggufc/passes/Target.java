package ggufc.passes;

import ggufc.ir.DType;
import ggufc.ir.OpKind;
import java.util.Optional;
import java.util.Set;

/**
 * What a code generator implements, so that passes only produce what it can run (no
 * {@code if (target == ...)} inside passes).
 *
 * @param fusedOps fused ops it has kernels for (subset of {@link OpKind#FUSED}; SPLIT comes with NORM_MATMUL)
 * @param rawWeightTypes weight dtypes its matmul and embedding kernels read in place (others stay behind a DEQUANT)
 * @param integerDot its quantized matmuls take activations quantized to llama.cpp's vec_dot_type (Q8_0/Q8_1/Q8_K)
 * @param kernelGroups it compiles a {@code kernel} group of nodes into one kernel (elementwise chains, QKV epilogues)
 */
public record Target(String name, String description, Set<OpKind> fusedOps, Set<DType> rawWeightTypes, boolean integerDot, boolean kernelGroups) {
    public Target {
        fusedOps = Set.copyOf(fusedOps);
        rawWeightTypes = Set.copyOf(rawWeightTypes);
        for (OpKind k : fusedOps) {
            if (!OpKind.FUSED.contains(k)) throw new IllegalArgumentException(k.irName() + " is not a fused op");
        }
    }

    /** Whether the target runs {@code op}: every primitive op, and the fused ops it declares. */
    public boolean supports(OpKind op) {
        if (op == OpKind.SPLIT) return fusedOps.contains(OpKind.NORM_MATMUL);
        return !OpKind.FUSED.contains(op) || fusedOps.contains(op);
    }

    /** Empty when supported, else "target X does not implement op". */
    public Optional<String> require(OpKind op) {
        return supports(op) ? Optional.empty() : Optional.of("target " + name + " does not implement " + op.irName());
    }

    public boolean readsRaw(DType t) { return t == DType.F32 || rawWeightTypes.contains(t); }
}
