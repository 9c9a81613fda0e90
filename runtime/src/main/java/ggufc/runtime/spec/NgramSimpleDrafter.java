package ggufc.runtime.spec;

/**
 * llama.cpp's {@code ngram-simple} drafting (common/ngram-map.cpp), reimplemented: the last
 * {@code sizeN} tokens (the history before the last token, and the last token) are looked for in
 * the history before them, latest match first, positions 1 and up (0 is never a match); the up to
 * {@code sizeM} tokens after the match are the draft, none when fewer than {@code sizeN} follow it
 * or the history holds no more than {@code sizeN + sizeM + 1} tokens. Defaults 12 and 48 as
 * llama.cpp's {@code --spec-ngram-simple-size-n/-m}. Like llama.cpp, the draft is not cut to
 * {@code --draft-max}: only to what the context and {@code -n} leave.
 */
public final class NgramSimpleDrafter implements Drafter {
    public static final int SIZE_N = 12, SIZE_M = 48;
    private final int sizeN, sizeM;

    public NgramSimpleDrafter(int sizeN, int sizeM) {
        if (sizeN < 1 || sizeN > 1024 || sizeM < 1 || sizeM > 1024) throw new IllegalArgumentException("ngram sizes N and M must be between 1 and 1024 inclusive, got " + sizeN + " and " + sizeM);
        this.sizeN = sizeN;
        this.sizeM = sizeM;
    }

    public int sizeM() { return sizeM; }

    @Override
    public int[] draft(int[] history, int pos, int max) {
        // llama.cpp's tokens are the history before the last token; the last one is the "sampled" token
        int cur = history.length - 1;
        if (cur <= sizeN + sizeM + 1) return new int[0];
        int[] pattern = new int[sizeN];
        System.arraycopy(history, cur - sizeN + 1, pattern, 0, sizeN - 1);
        pattern[sizeN - 1] = history[cur];
        int match = 0;
        for (int j = cur - sizeN - 1; j > 0; j--) {
            if (java.util.Arrays.equals(history, j, j + sizeN, pattern, 0, sizeN)) {
                match = j;
                break;
            }
        }
        if (match == 0) return new int[0];
        int copy = Math.min(sizeM, cur - (match + sizeN));
        if (copy < sizeN) return new int[0];
        return java.util.Arrays.copyOfRange(history, match + sizeN, match + sizeN + Math.min(copy, Math.max(0, max)));
    }
}
