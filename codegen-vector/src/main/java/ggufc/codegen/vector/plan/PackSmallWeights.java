package ggufc.codegen.vector.plan;

import ggufc.codegen.vector.kernels.Packed;
import ggufc.codegen.vector.kernels.RowDecode;
import ggufc.ir.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plan rewrite: matmuls and GLUs on small weights (any dtype) read them decoded to f32 and repacked
 * into row tiles ({@link Packed}) instead of row by row from their blocks (exact: the tiles hold
 * the dequantized values; activations are still rounded as the step says). Only for a model whose
 * matmul weights, decoded to f32, fit in {@link #MAX_TOTAL_BYTES} (they then stay in the caches,
 * where the 4-byte form costs nothing); a larger model is left alone, since its decode step is
 * bound by memory traffic and reads the weights in their smaller stored form.
 */
final class PackSmallWeights {
    private PackSmallWeights() {}

    static final long MAX_TOTAL_BYTES = 16L << 20;

    static Plan apply(Plan plan) {
        long total = 0;
        for (Step s0 : plan.steps()) {
            Step s = s0 instanceof Step.OnDevice od ? od.step() : s0;
            if (s instanceof Step.MatMulStep m) total += Packed.bytes(m.N(), m.K());
            if (s instanceof Step.Glu gl) total += 2 * Packed.bytes(gl.N(), gl.K());
        }
        if (total > MAX_TOTAL_BYTES) return plan;
        Map<Integer, Integer> packedOf = new LinkedHashMap<>();
        List<Plan.PackedWeight> packed = new ArrayList<>();
        long[] budget = {MAX_TOTAL_BYTES};
        List<Step> steps = new ArrayList<>();
        for (Step s0 : plan.steps()) {
            // a split plan's steps keep their device
            Step s = s0 instanceof Step.OnDevice od ? od.step() : s0;
            int device = s0 instanceof Step.OnDevice od ? od.device() : -1;
            java.util.function.UnaryOperator<Step> onDevice = x -> device < 0 ? x : new Step.OnDevice(device, x);
            if (s instanceof Step.MatMulStep m && packable(plan, m.weight(), m.dtype(), budget, packedOf)) {
                steps.add(onDevice.apply(new Step.PackedMatMul(m.x(), m.act(), pack(plan, m.weight(), packedOf, packed), m.K(), m.N(), m.tokens(), m.out(), m.outCol(), m.outStride(), m.res())));
            } else if (s instanceof Step.Glu gl && packable(plan, gl.gate(), gl.gateType(), budget, packedOf)
                    && packable(plan, gl.up(), gl.upType(), budget, packedOf)) {
                steps.add(onDevice.apply(new Step.PackedGlu(gl.x(), gl.act(), pack(plan, gl.gate(), packedOf, packed), pack(plan, gl.up(), packedOf, packed), gl.K(), gl.N(), gl.tokens(), gl.gelu(), gl.out())));
            } else {
                steps.add(s0);
            }
        }
        if (packed.isEmpty()) return plan;
        return new Plan(plan.graphName(), plan.weights(), packed, plan.caches(), plan.inputs(), plan.slots(), steps, plan.outputs(), plan.maxTokens());
    }

    /** Whether weight {@code w} is (or, within the budget, can be) packed; reserves its bytes. */
    private static boolean packable(Plan plan, int w, DType t, long[] budget, Map<Integer, Integer> packedOf) {
        if (!RowDecode.decodes(t)) return false;
        if (packedOf.containsKey(w)) return true;
        long[] s = plan.weights().get(w).shape();
        if (s.length != 2) return false;
        long bytes = Packed.bytes(s[0], s[1]);
        if (bytes > budget[0]) return false;
        budget[0] -= bytes;
        packedOf.put(w, -1);
        return true;
    }

    private static int pack(Plan plan, int w, Map<Integer, Integer> packedOf, List<Plan.PackedWeight> packed) {
        Integer p = packedOf.get(w);
        if (p != null && p >= 0) return p;
        Plan.Weight wt = plan.weights().get(w);
        packed.add(new Plan.PackedWeight(wt.name(), wt.dtype(), (int) wt.shape()[0], (int) wt.shape()[1]));
        packedOf.put(w, packed.size() - 1);
        return packed.size() - 1;
    }
}
