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

    /**
     * Row {@code row} (negative: from the end, -1 the last) of output {@code hidden} of the last step: the final
     * norm's output, which the LM head reads, per token. What a drafter fed by its target's hidden state (a Gemma 4
     * assistant) starts from. Executors that do not keep it refuse.
     */
    default float[] hiddenRow(int row) {
        throw new UnsupportedOperationException("this executor does not give the target's hidden states (a gemma4-assistant drafter runs on the vector backend or the interpreter with --model)");
    }

    /** Empties the KV cache. */
    void reset();

    /** KV cache capacity in tokens. */
    int contextSize();

    int vocabSize();

    @Override
    default void close() {}
}
