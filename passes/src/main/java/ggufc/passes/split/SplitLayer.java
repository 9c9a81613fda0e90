package ggufc.passes.split;

import ggufc.ir.Node;

/**
 * split-layer: llama.cpp's {@code --split-mode layer} (pipeline parallel). Layers go to devices in contiguous ranges
 * by {@code --tensor-split} proportions (llama.cpp's rule: layer i to the first device whose cumulative share exceeds
 * i / n_layer), each with its KV cache; what comes before the first layer runs on the first layer's device, the
 * output head on the last layer's. The residual stream is transferred once at each boundary (and any other value a
 * later layer reads, such as Gemma 4's per-layer inputs or a shared KV cache). Exact: no value is recomputed or summed
 * differently.
 */
public final class SplitLayer extends SplitPass {
    public SplitLayer(SplitOptions opt) { super(opt); }

    public SplitLayer() { this(SplitOptions.even(2)); }

    @Override public String name() { return "split-layer"; }

    @Override public String summary() { return "llama.cpp's --split-mode layer: contiguous layers per device with their KV caches, one transfer at each boundary"; }

    /** The device of layer {@code layer} of {@code count}. */
    int deviceOf(int layer, int count) {
        double[] scan = opt.scan(0);
        double total = scan[scan.length - 1];
        double at = count == 0 ? 0 : (double) Math.max(0, layer) / count;
        for (int j = 0; j < scan.length; j++) if (scan[j] / total > at) return j;
        return scan.length - 1;
    }

    @Override
    Sharder.Policy policy() {
        return new Sharder.Policy() {
            @Override public Sharder.Cut cut(Node op, String weight, Layers layers) { return null; }

            @Override public int home(Node n, Layers layers) { return deviceOf(layers.of(n), layers.count()); }

            @Override public boolean replicatedStates() { return false; }

            @Override public boolean unfuse() { return false; }
        };
    }
}
