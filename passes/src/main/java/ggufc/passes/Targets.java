package ggufc.passes;

import ggufc.ir.DType;
import ggufc.ir.OpKind;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The targets, declared in one place. A code generator that gains a kernel changes one line here. */
public final class Targets {
    private Targets() {}

    private static final Set<DType> ALL_STORED = EnumSet.complementOf(EnumSet.of(DType.F32, DType.I32, DType.I8));

    /**
     * The reference interpreter: runs every op and reads every dtype. It declares integer dot
     * products so that its default pipeline has llama.cpp's CPU numerics (activations rounded to the
     * weight's vec_dot_type) and reproduces llama.cpp's logits on quantized models.
     */
    public static final Target INTERP = new Target("interp", "the reference interpreter, with llama.cpp's CPU numerics",
            OpKind.FUSED, ALL_STORED, true, true);

    /**
     * The JDK Vector API backend (codegen-vector): llama.cpp's CPU formats read in place, activations
     * quantized to Q8 for integer dot products as llama.cpp's CPU kernels do.
     */
    public static final Target VECTOR = new Target("vector", "JDK Vector API kernels on the CPU",
            OpKind.FUSED,
            EnumSet.of(DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q4_K, DType.Q5_K, DType.Q6_K),
            true, true);

    private static final Set<DType> GPU_RAW = EnumSet.of(DType.F16, DType.Q8_0, DType.Q4_0, DType.Q4_K, DType.Q6_K);

    /** OpenCL C (PoCL or a GPU driver); ptx, spirv and tornado share its kernel IR and so its features. */
    public static final Target OPENCL = new Target("opencl", "OpenCL C kernels (codegen-tornado)", OpKind.FUSED, GPU_RAW, false, true);
    public static final Target PTX = new Target("ptx", "PTX kernels for CUDA (codegen-tornado)", OpKind.FUSED, GPU_RAW, false, true);
    public static final Target SPIRV = new Target("spirv", "SPIR-V kernels (codegen-tornado)", OpKind.FUSED, GPU_RAW, false, true);
    public static final Target TORNADO = new Target("tornado", "TornadoVM TaskGraph source (codegen-tornado)", OpKind.FUSED, GPU_RAW, false, true);

    /** A backend with primitive ops only and f32 weights: the lifted graph's cost baseline. */
    public static final Target NAIVE = new Target("naive", "primitive ops only, weights dequantized", Set.of(), Set.of(), false, false);

    private static final Map<String, Target> BY_NAME = new LinkedHashMap<>();

    static {
        for (Target t : List.of(VECTOR, INTERP, OPENCL, PTX, SPIRV, TORNADO, NAIVE)) BY_NAME.put(t.name(), t);
    }

    /** The target used when none is named. */
    public static final Target DEFAULT = VECTOR;

    public static List<Target> all() { return List.copyOf(BY_NAME.values()); }

    public static Target byName(String name) {
        Target t = BY_NAME.get(name);
        if (t == null) throw new IllegalArgumentException("unknown target '" + name + "' (known: " + String.join(", ", BY_NAME.keySet()) + ")");
        return t;
    }
}
