package ggufc.passes;

/** Facts about a graph that passes establish and others require (or must come before). */
public enum Stage {
    /** Matmul-family ops and embeddings read weights in their stored dtype (fold-quant-dequant ran). */
    QUANT_FOLDED,
    /** gate/up projections with their activation are glu ops (fuse-glu ran). */
    GLU_FUSED,
    /** Activations entering integer-dot matmuls are quantized (quantize-activations ran). */
    ACTIVATIONS_QUANTIZED,
    /** Nodes carry kernel-group attributes; later rewrites would invalidate them. */
    KERNELS_GROUPED
}
