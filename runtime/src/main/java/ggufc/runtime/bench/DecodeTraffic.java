package ggufc.runtime.bench;

import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;

/**
 * Bytes of weights one decode step reads, for the bandwidth roofline: every tensor once, except
 * the token embedding, of which one row is read, unless it is also the output matrix (tied
 * embeddings: no {@code output.weight}), which is read whole.
 */
public final class DecodeTraffic {
    private DecodeTraffic() {}

    public static final String TOKEN_EMBD = "token_embd.weight", OUTPUT = "output.weight";

    public static long weightBytesPerToken(GgufFile f) {
        long total = 0;
        boolean tied = !f.hasTensor(OUTPUT);
        for (GgufTensorInfo t : f.tensors()) {
            if (t.name().equals(TOKEN_EMBD) && !tied) {
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
