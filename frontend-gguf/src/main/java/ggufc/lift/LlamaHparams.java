package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;

/** Hyperparameters of a llama-family model, read from GGUF metadata ({@code {arch}.*} keys). */
public record LlamaHparams(String arch, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv, int headDim, int nRot,
                           double rmsEps, double ropeFreqBase, double ropeFreqScale, int ctxTrain, int vocab, boolean tiedOutput) {

    public static LlamaHparams read(GgufFile f) {
        String arch = f.getString("general.architecture");
        int nEmbd = f.getInt(arch + ".embedding_length");
        int nLayer = f.getInt(arch + ".block_count");
        int nFf = f.getInt(arch + ".feed_forward_length");
        int nHead = f.getInt(arch + ".attention.head_count");
        int nHeadKv = f.getInt(arch + ".attention.head_count_kv", nHead);
        if (nHead <= 0 || nEmbd % nHead != 0) throw new GgufException(f.path(), "embedding length " + nEmbd + " is not a multiple of the head count " + nHead);
        if (nHeadKv <= 0 || nHead % nHeadKv != 0) throw new GgufException(f.path(), "head count " + nHead + " is not a multiple of the KV head count " + nHeadKv);
        int headDim = f.getInt(arch + ".attention.key_length", nEmbd / nHead);
        int nRot = f.getInt(arch + ".rope.dimension_count", headDim);
        double eps = f.getDouble(arch + ".attention.layer_norm_rms_epsilon", 1e-5);
        double base = f.getDouble(arch + ".rope.freq_base", 10000.0);
        double scale = 1.0;
        if (f.has(arch + ".rope.scaling.factor")) {
            String type = f.getString(arch + ".rope.scaling.type", "linear");
            double factor = f.getDouble(arch + ".rope.scaling.factor");
            if (!type.equals("linear") && !type.equals("none")) {
                throw new GgufException(f.path(), "rope scaling type '" + type + "' is not supported yet (only linear)");
            }
            if (type.equals("linear") && factor > 0) scale = 1.0 / factor;
        }
        int ctx = f.getInt(arch + ".context_length", 2048);
        GgufTensorInfo embd = f.tensor("token_embd.weight");
        if (embd == null) throw new GgufException(f.path(), "missing tensor 'token_embd.weight'");
        int vocab = (int) embd.ne()[1];
        boolean tied = !f.hasTensor("output.weight");
        return new LlamaHparams(arch, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim, nRot, eps, base, scale, ctx, vocab, tied);
    }

    public int kvDim() { return nHeadKv * headDim; }
}
