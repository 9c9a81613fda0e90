package ggufc.runtime.spec;

/**
 * Proposes draft tokens for speculative decoding. The target model then verifies them in one
 * batched step; a drafter never changes the output, only how many target steps it takes.
 */
public interface Drafter {
    /**
     * Up to {@code max} tokens to follow {@code history} (prompt and generated tokens; its last
     * token, at position {@code pos}, is confirmed but not yet in the KV cache). A drafter that
     * runs a model may write KV rows at positions {@code >= pos}: the verify step overwrites them.
     */
    int[] draft(int[] history, int pos, int max);

    /**
     * After each target step: the prompt's (all but its last token; {@code keptRow} -1, its last row) and each
     * verify or plain step ({@code keptRow} the number of drafts kept, the row whose logits gave the next confirmed
     * token). A drafter fed by the target's hidden state takes that row here, as llama.cpp's draft-mtp does.
     */
    default void targetStepped(int keptRow) {}

    /**
     * {@link #targetStepped(int)} told the step's {@code tokens} too, the first at {@code startPos}: a drafter with a
     * KV cache of its own fills it from the confirmed ones (rows 0 .. keptRow; all of them for the prompt).
     */
    default void targetStepped(int[] tokens, int startPos, int keptRow) { targetStepped(keptRow); }
}
