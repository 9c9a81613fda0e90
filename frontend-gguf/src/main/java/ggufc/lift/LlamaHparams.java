package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;

/** Hyperparameters of a llama-family model, read from GGUF metadata ({@code {arch}.*} keys). */
public record LlamaHparams(String arch, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv, int headDim, int nRot,
                           double rmsEps, double ropeFreqBase, double ropeFreqScale, int ctxTrain, int vocab, boolean tiedOutput) {

    public static LlamaHparams read(GgufFile f) {
        String arch = f.getString("general.architecture");
        int nEmbd = positive(f, arch + ".embedding_length");
        int nLayer = positive(f, arch + ".block_count");
        // every layer has tensors: a count beyond the file's tensors is a hostile header, refused before per-layer arrays exist
        if (nLayer > f.tensors().size()) {
            throw new GgufException(f.path(), "'" + arch + ".block_count' is " + nLayer + " but the file has only " + f.tensors().size() + " tensors");
        }
        int nFf = positive(f, arch + ".feed_forward_length");
        int nHead = positive(f, arch + ".attention.head_count");
        int nHeadKv = f.has(arch + ".attention.head_count_kv") ? positive(f, arch + ".attention.head_count_kv") : nHead;
        if (nEmbd % nHead != 0) throw new GgufException(f.path(), "embedding length " + nEmbd + " is not a multiple of the head count " + nHead);
        if (nHead % nHeadKv != 0) throw new GgufException(f.path(), "head count " + nHead + " is not a multiple of the KV head count " + nHeadKv);
        int headDim = f.has(arch + ".attention.key_length") ? positive(f, arch + ".attention.key_length") : nEmbd / nHead;
        int nRot = f.has(arch + ".rope.dimension_count") ? positive(f, arch + ".rope.dimension_count") : headDim;
        if (nRot % 2 != 0 || nRot > headDim) {
            throw new GgufException(f.path(), "'" + arch + ".rope.dimension_count' is " + nRot + ": RoPE rotates pairs, so it must be even and at most the head size " + headDim);
        }
        double eps = f.getDouble(arch + ".attention.layer_norm_rms_epsilon", 1e-5);
        if (!(eps > 0) || Double.isInfinite(eps)) throw new GgufException(f.path(), "'" + arch + ".attention.layer_norm_rms_epsilon' is " + eps + ", must be a positive number");
        double base = f.getDouble(arch + ".rope.freq_base", 10000.0);
        if (!(base > 0) || Double.isInfinite(base)) throw new GgufException(f.path(), "'" + arch + ".rope.freq_base' is " + base + ", must be a positive number");
        double scale = 1.0;
        if (f.has(arch + ".rope.scaling.factor")) {
            String type = f.getString(arch + ".rope.scaling.type", "linear");
            double factor = f.getDouble(arch + ".rope.scaling.factor");
            if (!type.equals("linear") && !type.equals("none")) {
                throw new GgufException(f.path(), "rope scaling type '" + type + "' is not supported yet (only linear)");
            }
            if (Double.isNaN(factor) || Double.isInfinite(factor) || factor < 0) {
                throw new GgufException(f.path(), "'" + arch + ".rope.scaling.factor' is " + factor + ", must be a positive number (or 0: none)");
            }
            if (type.equals("linear") && factor > 0) scale = 1.0 / factor;
        }
        int ctx = f.has(arch + ".context_length") ? positive(f, arch + ".context_length") : 2048;
        GgufTensorInfo embd = f.tensor("token_embd.weight");
        if (embd == null) throw new GgufException(f.path(), "missing tensor 'token_embd.weight'");
        if (embd.ne().length != 2 || embd.ne()[1] < 1 || embd.ne()[1] > Integer.MAX_VALUE) {
            throw new GgufException(f.path(), "tensor 'token_embd.weight' has shape " + java.util.Arrays.toString(embd.ne()) + ", expected [n_embd, n_vocab]");
        }
        int vocab = (int) embd.ne()[1];
        boolean tied = !f.hasTensor("output.weight");
        return new LlamaHparams(arch, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, nRot, eps, base, scale, ctx, vocab, tied);
    }

    /**
     * Metadata {@code key}: a whole number in 1 .. 2^31 - 1, or one clear error naming the key. A
     * per-layer array (Gemma 4's head_count_kv, feed_forward_length) gives its largest entry here;
     * its lifter reads the entries with {@link #perLayer}.
     */
    private static int positive(GgufFile f, String key) {
        if (!f.has(key)) throw new GgufException(f.path(), "missing metadata key '" + key + "'");
        if (f.value(key).isArray()) {
            int max = 0;
            for (int v : perLayer(f, key, f.getIntArray(key).length)) max = Math.max(max, v);
            return max;
        }
        long v = f.getLong(key);
        if (v < 1 || v > Integer.MAX_VALUE) throw new GgufException(f.path(), "'" + key + "' is " + v + ", must be a positive whole number below 2^31");
        return (int) v;
    }

    public int kvDim() { return nHeadKv * headDim; }

    /** These hyperparameters with {@code n} layers (a trunk whose block_count also counts MTP blocks). */
    public LlamaHparams withLayers(int n) {
        return new LlamaHparams(arch, nEmbd, n, nFf, nHead, nHeadKv, headDim, nRot, rmsEps, ropeFreqBase, ropeFreqScale, ctxTrain, vocab, tiedOutput);
    }

    /** Metadata {@code key} as a whole number, or one error naming the key when it is missing. */
    static long wholeKey(GgufFile f, String key) {
        if (!f.has(key)) throw new GgufException(f.path(), "missing metadata key '" + key + "'");
        return f.getLong(key);
    }

    /**
     * A per-layer whole number: an array of {@code nLayer} entries, or one number for every layer
     * (llama.cpp's get_key_or_arr); each in 1 .. 2^31 - 1, else one error naming the key.
     */
    static int[] perLayer(GgufFile f, String key, int nLayer) {
        if (!f.has(key)) throw new GgufException(f.path(), "missing metadata key '" + key + "'");
        int[] r = new int[nLayer];
        if (f.value(key).isArray()) {
            int[] a;
            try {
                a = f.getIntArray(key);
            } catch (GgufException e) {
                throw new GgufException(f.path(), "'" + key + "' is not an array of whole numbers");
            }
            if (a.length != nLayer) throw new GgufException(f.path(), "'" + key + "' has " + a.length + " entries for " + nLayer + " layers");
            for (int i = 0; i < nLayer; i++) {
                if (a[i] < 1) throw new GgufException(f.path(), "'" + key + "' entry " + i + " is " + a[i] + ", must be a positive whole number");
                r[i] = a[i];
            }
            return r;
        }
        java.util.Arrays.fill(r, positive(f, key));
        return r;
    }
}
