package ggufc.tokenizer;

import ggufc.gguf.GgufFile;

/**
 * A tokenizer built from GGUF metadata that reproduces llama.cpp's tokenization exactly: SentencePiece-style
 * ({@code tokenizer.ggml.model = "llama"}), byte-level BPE with the pre-tokenizer {@code tokenizer.ggml.pre}
 * names ({@code "gpt2"}), Gemma 4's SentencePiece-style BPE ({@code "gemma4"}) and WordPiece ({@code "bert"}).
 *
 * <p>Instances are immutable and thread-safe; they copy what they need, so the {@link GgufFile} may be closed
 * afterwards.
 */
public interface Tokenizer {

    /**
     * Builds the tokenizer a GGUF file describes.
     *
     * @throws IllegalArgumentException for an unknown or unsupported {@code tokenizer.ggml.model} or
     *     {@code tokenizer.ggml.pre} (the message names the value), or inconsistent tokenizer metadata
     */
    static Tokenizer fromGguf(GgufFile f) {
        Vocab v = new Vocab(f);
        return switch (v.type) {
            case SPM -> new SpmTokenizer(v);
            case BPE -> new BpeTokenizer(v);
            case WPM -> new WpmTokenizer(v);
        };
    }

    /**
     * Token ids for {@code text}, as llama.cpp's {@code llama_tokenize(text, add_special, parse_special)}.
     *
     * @param addSpecial add BOS / EOS as the model asks ({@code tokenizer.ggml.add_bos_token} /
     *     {@code add_eos_token}, else llama.cpp's default for the model type); WordPiece always adds CLS (BOS) and SEP
     * @param parseSpecial recognise the texts of control tokens in {@code text}; user-defined tokens are always
     *     recognised, as in llama.cpp
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * Text of {@code ids}, as llama.cpp's {@code llama_detokenize(ids, remove_special=false, unparse_special=false)}:
     * control and unknown tokens render as nothing, the leading space SentencePiece adds is dropped from the first
     * token (only when that first token is not BOS, exactly as llama.cpp), and BPE/WordPiece vocabularies that ask
     * for it get llama.cpp's clean-up of spaces before punctuation. Bytes that do not form valid UTF-8 become U+FFFD.
     */
    String decode(int[] ids);

    /** As {@code llama_detokenize(ids, removeSpecial, unparseSpecial)}. */
    String decode(int[] ids, boolean removeSpecial, boolean unparseSpecial);

    /**
     * A decoder for streaming generated tokens: its output is the concatenation of the pieces
     * ({@code llama_token_to_piece(id, lstrip=0, special=false)}), released only in complete UTF-8 characters.
     */
    StreamDecoder streamDecoder();

    int vocabSize();

    /** BOS token id, or -1 if the vocabulary has none. */
    int bos();

    /** EOS token id, or -1 if the vocabulary has none. */
    int eos();

    /** Whether generating {@code id} ends generation (llama.cpp's {@code llama_vocab_is_eog}). */
    boolean isEog(int id);

    /**
     * The text of one token as llama.cpp's {@code llama_token_to_piece(id, lstrip=0, special=true)} renders it
     * (control tokens included; a byte token that is not a whole character gives U+FFFD).
     */
    String piece(int id);

    /** The raw token text stored in the vocabulary ({@code llama_vocab_get_text}), e.g. "Ġworld", "▁the", "<0x0A>". */
    String tokenText(int id);

    /** {@code llama_token_to_piece(id, lstrip=0, special)} as bytes. */
    byte[] pieceBytes(int id, boolean special);
}
