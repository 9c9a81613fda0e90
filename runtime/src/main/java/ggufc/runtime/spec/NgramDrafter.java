package ggufc.runtime.spec;

import java.util.Arrays;

/**
 * Prompt-lookup drafting (no weights): the longest n-gram ending the history, n from {@code nMax}
 * down to {@code nMin} (llama.cpp's lookup n-gram sizes 1..4), is looked for earlier in the history,
 * most recent occurrence first; the tokens that followed it are the draft.
 */
public final class NgramDrafter implements Drafter {
    public static final int N_MIN = 1, N_MAX = 4;
    private final int nMin, nMax;

    public NgramDrafter() { this(N_MIN, N_MAX); }

    public NgramDrafter(int nMin, int nMax) {
        if (nMin < 1 || nMax < nMin) throw new IllegalArgumentException("n-gram sizes must satisfy 1 <= min <= max, got " + nMin + ".." + nMax);
        this.nMin = nMin;
        this.nMax = nMax;
    }

    @Override
    public int[] draft(int[] h, int pos, int max) {
        int len = h.length;
        if (max <= 0) return new int[0];
        for (int n = Math.min(nMax, len - 1); n >= nMin; n--) {
            // a match starting at j (j + n <= len - 1, so at least one token follows it), latest first
            for (int j = len - n - 1; j >= 0; j--) {
                if (Arrays.equals(h, j, j + n, h, len - n, len)) {
                    int from = j + n;
                    return Arrays.copyOfRange(h, from, Math.min(len, from + max));
                }
            }
        }
        return new int[0];
    }
}
