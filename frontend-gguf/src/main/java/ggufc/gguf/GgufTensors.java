package ggufc.gguf;

import ggufc.ir.TensorData;

/** PLACEHOLDER until the gguf branch lands. */
public final class GgufTensors {
    private GgufTensors() {}

    public static TensorData irTensor(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        return new TensorData(t.dtype(), t.irShape(), f.tensorData(t));
    }
}
