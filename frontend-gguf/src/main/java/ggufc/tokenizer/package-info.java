/**
 * Tokenizers built from GGUF metadata that reproduce llama.cpp's ({@code src/llama-vocab.cpp}, {@code src/unicode.cpp})
 * token ids, text and special-token handling exactly.
 *
 * <ul>
 *   <li>{@link ggufc.tokenizer.Tokenizer#fromGguf} picks the kind from {@code tokenizer.ggml.model}:
 *       {@code llama} (SentencePiece-style merges by score with byte fallback), {@code gpt2} (byte-level BPE with the
 *       pre-tokenizer {@code tokenizer.ggml.pre} names), {@code gemma4} (BPE over space-escaped raw UTF-8 with
 *       byte fallback) or {@code bert} (WordPiece).</li>
 *   <li>Special tokens (control, user-defined, unknown) are cut out of the input before tokenizing, as
 *       llama.cpp's {@code tokenizer_st_partition}; llama.cpp's name-based fix-ups of token attributes and its
 *       end-of-generation set are applied.</li>
 *   <li>Unicode properties come from the JDK, corrected to llama.cpp's (pre-16.0) tables; see {@code Unicode}.</li>
 * </ul>
 *
 * <p>Tests compare against llama.cpp's own test vectors and against golden output of the reference build
 * ({@code src/test/resources/tokenizer-golden/regenerate.sh}).
 */
package ggufc.tokenizer;
