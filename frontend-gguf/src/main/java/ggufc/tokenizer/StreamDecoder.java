package ggufc.tokenizer;

/**
 * Turns a stream of token ids into text. Not thread-safe; one per generation.
 */
public interface StreamDecoder {

    /**
     * Adds one token and returns the text that is now complete: a token that ends in the middle of a UTF-8
     * character (e.g. SentencePiece byte tokens like {@code <0xE2>}) leaves those bytes buffered until the
     * character completes. Bytes that can never form a valid character come out as U+FFFD.
     */
    String push(int id);

    /** Returns whatever is still buffered (as U+FFFD, since it is an incomplete character) and empties the buffer. */
    String flush();
}
