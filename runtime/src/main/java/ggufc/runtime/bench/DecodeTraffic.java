package ggufc.runtime.bench;

import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;

/**
 * Bytes of weights one decode step reads, for the bandwidth roofline: every tensor once, except
 * the token embedding, of which one row is read, unless it is also the output matrix (tied
 * embeddings: no {@code output.weight}), which is read whole; and the stacked expert matrices of a
 * mixture of experts ({@code *_exps.weight}, [n_expert] outermost), of which a token reads its
 * {@code expert_used_count} experts.
 */
public final class DecodeTraffic {
    private DecodeTraffic() {}

    public static final String TOKEN_EMBD = "token_embd.weight", OUTPUT = "output.weight";

    public static long weightBytesPerToken(GgufFile f) {
        long total = 0;
        boolean tied = !f.hasTensor(OUTPUT);
        String arch = f.has("general.architecture") ? f.getString("general.architecture") : "";
        long used = f.has(arch + ".expert_used_count") ? f.getLong(arch + ".expert_used_count") : 0;
        for (GgufTensorInfo t : f.tensors()) {
            long[] ne = t.ne();
            if (used > 0 && t.name().endsWith("_exps.weight") && ne.length == 3 && ne[2] > 0) {
                total += t.byteSize() / ne[2] * Math.min(used, ne[2]);
            } else if (t.name().equals(TOKEN_EMBD) && !tied) {
                long rows = t.ne().length > 1 ? t.ne()[1] : 1;
                total += t.byteSize() / Math.max(1, rows);
            } else {
                total += t.byteSize();
            }
        }
        return total;
    }

    /** Bytes of all tensors (what the file maps). */
    public static long weightBytes(GgufFile f) {
        long total = 0;
        for (GgufTensorInfo t : f.tensors()) total += t.byteSize();
        return total;
    }
}
