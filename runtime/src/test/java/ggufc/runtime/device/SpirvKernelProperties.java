package ggufc.runtime.device;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;

/**
 * The SPIR-V renderer's kernels executed (PoCL through SPIR, see {@link SpirvOnPoclTest}) against the
 * interpreter on the families the stories260K model does not reach: every weight format and
 * epilogue, Q8_0 activations, and attention with f16 caches and GQA. Two tries each: every try is a
 * SPIR-V translation and a PoCL build.
 */
class SpirvKernelProperties {
    @Provide
    Arbitrary<KernelFamilyProperties.RowLengths> rowLengths() { return KernelFamilyProperties.rowLengths(); }

    @Property(tries = 2, shrinking = ShrinkingMode.OFF)
    void matvecAllFormatsAndEpilogues(@ForAll("rowLengths") KernelFamilyProperties.RowLengths ks, @ForAll @IntRange(min = 1, max = 40) int n,
                                      @ForAll @IntRange(min = 1, max = 3) int tokens, @ForAll long seed) {
        KernelFamilyProperties.matvecCase(OpenClDevice.Source.SPIRV, ks, n, tokens, seed);
    }

    @Property(tries = 2, shrinking = ShrinkingMode.OFF)
    void quantizedActivations(@ForAll @IntRange(min = 1, max = 6) int blocks, @ForAll @IntRange(min = 1, max = 30) int n, @ForAll @IntRange(min = 1, max = 3) int tokens,
                              @ForAll long seed) {
        KernelFamilyProperties.quantizedActivationsCase(OpenClDevice.Source.SPIRV, blocks, n, tokens, seed);
    }

    @Property(tries = 2, shrinking = ShrinkingMode.OFF)
    void attentionPromptThenDecode(@ForAll @IntRange(min = 1, max = 4) int kvHeads, @ForAll @IntRange(min = 1, max = 3) int group, @ForAll @IntRange(min = 1, max = 16) int dh,
                                   @ForAll @IntRange(min = 17, max = 40) int promptLen, @ForAll boolean fusedOp,
                                   @ForAll @IntRange(min = 0, max = 20) int window, @ForAll @IntRange(min = 0, max = 2) int capIndex, @ForAll long seed) {
        KernelFamilyProperties.attentionCase(OpenClDevice.Source.SPIRV, kvHeads, group, dh, promptLen, true, fusedOp, window, KernelFamilyProperties.CAPS[capIndex], seed);
    }

    /** The mixture-of-experts kernels (top-k, gathers, matmul_id, weighted sum) as SPIR-V. */
    @Property(tries = 2, shrinking = ShrinkingMode.OFF)
    void mixtureOfExperts(@ForAll("rowLengths") KernelFamilyProperties.RowLengths ks, @ForAll @IntRange(min = 2, max = 9) int experts, @ForAll @IntRange(min = 1, max = 4) int tokens,
                          @ForAll long seed) {
        KernelFamilyProperties.moeCase(OpenClDevice.Source.SPIRV, ks, experts, 1 + (int) Math.floorMod(seed, experts), tokens, seed);
    }
}
