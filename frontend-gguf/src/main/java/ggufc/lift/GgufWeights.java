package ggufc.lift;

import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;
import ggufc.ir.DType;
import ggufc.ir.TensorData;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Weights of a lifted graph: param name to bytes, slices of the GGUF mapping (no copy), except
 * quantized tensors whose rows are not whole blocks (the old flat-block Q8_0 files), which are
 * decoded once to f32 at load since no row-wise kernel can read them.
 */
public final class GgufWeights implements Function<String, TensorData> {
    private final GgufFile file;
    private final Map<String, TensorData> cache = new ConcurrentHashMap<>();

    public GgufWeights(GgufFile file) { this.file = file; }

    /** The dtype a tensor has in the IR (f32 for flat-block tensors). */
    public static DType irDType(GgufTensorInfo t) {
        return t.rowsAlignedToBlocks() ? t.dtype() : DType.F32;
    }

    @Override
    public TensorData apply(String name) {
        return cache.computeIfAbsent(name, n -> {
            GgufTensorInfo t = file.tensor(n);
            if (t == null) return null;
            return ggufc.gguf.GgufTensors.irTensor(file, n);
        });
    }
}
