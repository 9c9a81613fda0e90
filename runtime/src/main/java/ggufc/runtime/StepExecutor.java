package ggufc.runtime;

/**
 * Runs one model step: a batch of tokens at consecutive positions starting at {@code startPos},
 * appending them to the KV cache; returns the logits of the last token.
 */
public interface StepExecutor extends AutoCloseable {
    float[] step(int[] tokens, int startPos);

    /** Empties the KV cache. */
    void reset();

    /** KV cache capacity in tokens. */
    int contextSize();

    int vocabSize();

    @Override
    default void close() {}
}
