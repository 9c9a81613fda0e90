package ggufc.runtime;

/**
 * Runs one model step: a batch of tokens at consecutive positions starting at {@code startPos},
 * appending them to the KV cache; returns the logits of the last token.
 */
public interface StepExecutor extends AutoCloseable {
    float[] step(int[] tokens, int startPos);

    /**
     * A step followed by greedy sampling: the index of the largest logit (first on ties).
     * Executors that can pick it where the logits are (a device) override this so only the token
     * comes back.
     */
    default int stepArgmax(int[] tokens, int startPos) { return Sampler.argmax(step(tokens, startPos)); }

    /**
     * A step that returns the logits of every token ([tokens.length][vocab]): the verify step of
     * speculative decoding. Executors whose graph computes only the last row refuse.
     */
    default float[][] stepAll(int[] tokens, int startPos) {
        throw new UnsupportedOperationException("this executor computes only the last token's logits (speculative decoding needs a model opened with every row's logits)");
    }

    /** Empties the KV cache. */
    void reset();

    /** KV cache capacity in tokens. */
    int contextSize();

    int vocabSize();

    @Override
    default void close() {}
}
