package ggufc.tokenizer;

import ggufc.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerTest {

    static Path stories(String name) {
        return TestFiles.require(TestFiles.modelsDir().resolve(name), "the TinyStories 260K model files are described in /work/shared/models/README.md");
    }

    /** The reference figure from /work/shared/reference/README.md (llama_tokenize with add_special=true). */
    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "tinyllamas-stories-260k-f32.gguf", "tinyllamas-stories-260k-q8_0.gguf"})
    void storiesOnceUponATime(String file) {
        Tokenizer t = TestFiles.tokenizer(stories(file));
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, t.encode("Once upon a time", true, false));
        assertArrayEquals(new int[] {403, 407, 261, 378}, t.encode("Once upon a time", false, false));
        assertEquals(512, t.vocabSize());
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        assertTrue(t.isEog(2));
        assertFalse(t.isEog(1));
        assertFalse(t.isEog(403));
    }

    @Test
    void storiesDecode() {
        Tokenizer t = TestFiles.tokenizer(stories("stories260K.gguf"));
        assertEquals("Once upon a time", t.decode(new int[] {403, 407, 261, 378}));
        // llama_detokenize drops the SentencePiece space prefix only from a first token that is not BOS; after BOS
        // the space stays, with or without remove_special (checked against the reference in the golden files)
        assertEquals(" Once upon a time", t.decode(new int[] {1, 403, 407, 261, 378}));
        assertEquals(" Once upon a time", t.decode(new int[] {1, 403, 407, 261, 378}, true, false));
        assertEquals("<s> Once upon a time</s>", t.decode(new int[] {1, 403, 407, 261, 378, 2}, false, true));
        assertEquals("▁Once", t.tokenText(403));
        assertEquals(" Once", t.piece(403));
        assertEquals("<s>", t.piece(1));
        assertEquals("", new String(t.pieceBytes(1, false)));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {512}));
        assertThrows(IllegalArgumentException.class, () -> t.piece(-1));
    }

    @Test
    void streamDecoderHoldsBackPartialCharacters() {
        Tokenizer t = TestFiles.tokenizer(TestFiles.sharedVocab("llama-spm"));
        int[] ids = t.encode("\uD80C\uDC00", false, false); // U+13000, not in the vocabulary: "▁" + 4 byte tokens
        assertEquals(5, ids.length);
        assertEquals("<0xF0>", t.tokenText(ids[1]));
        StreamDecoder d = t.streamDecoder();
        assertEquals(" ", d.push(ids[0]));
        assertEquals("", d.push(ids[1]));
        assertEquals("", d.push(ids[2]));
        assertEquals("", d.push(ids[3]));
        assertEquals("\uD80C\uDC00", d.push(ids[4]));
        assertEquals("", d.flush());

        StreamDecoder e = t.streamDecoder();
        assertEquals("", e.push(ids[1]));
        assertEquals("", e.push(ids[2]));
        assertEquals("\uFFFD", e.flush());
        int x = ((LlamaTokenizer) t).vocab.tokenId("x");
        assertEquals("x", e.push(x));
        // a byte that cannot continue the held bytes releases them as U+FFFD at once
        assertEquals("", e.push(ids[1]));
        assertEquals("\uFFFDx", e.push(x));
    }

    @Test
    void loneSurrogatesBecomeReplacementCharacters() {
        Tokenizer t = TestFiles.tokenizer(TestFiles.sharedVocab("gpt-2"));
        assertArrayEquals(t.encode("a\uFFFDb\uFFFD", false, false), t.encode("a\uD800b\uDC00", false, false));
        assertEquals("a\uFFFDb", t.decode(t.encode("a\uDBFFb", false, false)));
    }

    @Test
    void unknownModelIsRejectedWithItsName(@TempDir Path dir) throws IOException {
        Path p = new MiniGguf().string("tokenizer.ggml.model", "sentencepiece-xl")
                .strings("tokenizer.ggml.tokens", "a", "b").write(dir.resolve("m.gguf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(p));
        assertTrue(e.getMessage().contains("'sentencepiece-xl'"), e.getMessage());
    }

    @Test
    void unsupportedModelIsRejectedWithItsName(@TempDir Path dir) throws IOException {
        Path p = new MiniGguf().string("tokenizer.ggml.model", "t5")
                .strings("tokenizer.ggml.tokens", "a", "b").write(dir.resolve("m.gguf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(p));
        assertTrue(e.getMessage().contains("'t5'"), e.getMessage());
    }

    @Test
    void unknownPreTokenizerIsRejectedWithItsName(@TempDir Path dir) throws IOException {
        Path p = new MiniGguf().string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "fancy-new-pre")
                .strings("tokenizer.ggml.tokens", "a", "b", "ab").strings("tokenizer.ggml.merges", "a b")
                .write(dir.resolve("m.gguf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(p));
        assertTrue(e.getMessage().contains("'fancy-new-pre'"), e.getMessage());
    }

    @Test
    void missingModelKeyIsRejected(@TempDir Path dir) throws IOException {
        Path p = new MiniGguf().strings("tokenizer.ggml.tokens", "a").write(dir.resolve("m.gguf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(p));
        assertTrue(e.getMessage().contains("tokenizer.ggml.model"), e.getMessage());
    }

    /** A missing pre-tokenizer means llama.cpp's "default" one; merges, ranks and byte encoding on a toy vocabulary. */
    @Test
    void toyBpeWithoutPre(@TempDir Path dir) throws IOException {
        Path p = new MiniGguf().string("tokenizer.ggml.model", "gpt2")
                .strings("tokenizer.ggml.tokens", "a", "b", "c", "Ġ", "ab", "Ġa", "Ġab", "abc", "<|endoftext|>")
                .strings("tokenizer.ggml.merges", "Ġ a", "a b", "Ġa b", "ab c")
                .u32("tokenizer.ggml.eos_token_id", 8)
                .write(dir.resolve("m.gguf"));
        Tokenizer t = load(p);
        assertArrayEquals(new int[] {7, 6}, t.encode("abc ab", false, false));
        assertArrayEquals(new int[] {7, 6}, t.encode("abc ab", true, false)); // no add_bos for gpt2 by default
        assertArrayEquals(new int[] {7, 8}, t.encode("abc<|endoftext|>", false, true));
        assertTrue(t.isEog(8));
        assertEquals("abc ab", t.decode(new int[] {7, 6, 8}));
        assertEquals(-1, t.bos()); // llama.cpp's default BOS id for gpt2 (11) is outside this vocabulary
        assertEquals(8, t.eos());
    }

    /** SentencePiece flags from the metadata: add_space_prefix and add_eos_token. */
    @Test
    void toySpmFlags(@TempDir Path dir) throws IOException {
        MiniGguf g = new MiniGguf().string("tokenizer.ggml.model", "llama")
                .strings("tokenizer.ggml.tokens", "<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab")
                .floats("tokenizer.ggml.scores", 0, 0, 0, -1, -2, -2, -0.5f, -0.1f)
                .ints("tokenizer.ggml.token_type", 2, 3, 3, 1, 1, 1, 1, 1);
        Tokenizer plain = load(g.write(dir.resolve("a.gguf")));
        assertArrayEquals(new int[] {1, 3, 7}, plain.encode("ab", true, false)); // "▁ab": "ab" (-0.1) beats "▁a" (-0.5)
        assertArrayEquals(new int[] {6, 3, 5}, plain.encode("a b", false, false)); // "▁a▁b": only "▁a" merges
        Tokenizer noPrefix = load(g.bool("tokenizer.ggml.add_space_prefix", false).bool("tokenizer.ggml.add_eos_token", true)
                .write(dir.resolve("b.gguf")));
        assertArrayEquals(new int[] {1, 7, 2}, noPrefix.encode("ab", true, false));
        assertEquals("ab", noPrefix.decode(new int[] {1, 7, 2}));
    }

    /**
     * Gemma 4's rules that its real vocabulary cannot show (its merges rebuild every newline run anyway, and it asks
     * for BOS itself): a run of newlines that is a token is taken whole although the merges give "\n\n" + "\n",
     * BOS is added although add_bos_token says false, and tokenizer.ggml.pre is ignored. Also space escaping and
     * {@code <0xXX>} byte fallback. Every expected value is the reference llama.cpp's output for the same toy file
     * (written with gguf-py, plus the architecture keys llama.cpp needs to load it, and run through
     * tokenizer-golden/golden_tool.cpp).
     */
    @Test
    void toyGemma4(@TempDir Path dir) throws IOException {
        Path p = new MiniGguf().string("tokenizer.ggml.model", "gemma4").string("tokenizer.ggml.pre", "llama-bpe")
                .strings("tokenizer.ggml.tokens", "<pad>", "<eos>", "<bos>", "<unk>", "\n", "\n\n", "\n\n\n", "a", "▁", "▁a",
                        "<0x62>", "<0xC3>", "<0xA9>", "<turn|>")
                .ints("tokenizer.ggml.token_type", 3, 3, 3, 2, 1, 1, 1, 1, 1, 1, 6, 6, 6, 3)
                .strings("tokenizer.ggml.merges", "\n \n", "▁ a")
                .u32("tokenizer.ggml.bos_token_id", 2).u32("tokenizer.ggml.eos_token_id", 1)
                .u32("tokenizer.ggml.unknown_token_id", 3).u32("tokenizer.ggml.padding_token_id", 0)
                .bool("tokenizer.ggml.add_bos_token", false)
                .write(dir.resolve("m.gguf"));
        Tokenizer t = load(p);
        assertArrayEquals(new int[] {6}, t.encode("\n\n\n", false, false));
        assertArrayEquals(new int[] {2, 6}, t.encode("\n\n\n", true, false));
        assertArrayEquals(new int[] {5, 5}, t.encode("\n\n\n\n", false, false)); // no such token: merges
        assertArrayEquals(new int[] {7, 6, 10}, t.encode("a\n\n\nb", false, false));
        assertArrayEquals(new int[] {9, 8, 9, 10}, t.encode(" a  ab", false, false));
        assertArrayEquals(new int[] {11, 12}, t.encode("\u00E9", false, false));
        // unparsed, the control token's text has neither tokens nor byte tokens and vanishes
        assertArrayEquals(new int[] {7, 6}, t.encode("a<turn|>\n\n\n", false, false));
        assertArrayEquals(new int[] {2, 7, 13, 6}, t.encode("a<turn|>\n\n\n", true, true));
        assertEquals(" a  ab", t.decode(new int[] {9, 8, 9, 10}));
        assertEquals("\u00E9", t.decode(new int[] {11, 12}));
        assertEquals("<bos>a<turn|>\n\n\n", t.decode(new int[] {2, 7, 13, 6}, false, true));
        assertEquals(2, t.bos());
        assertEquals(1, t.eos());
        assertTrue(t.isEog(1));
        assertTrue(t.isEog(13));
    }

    private static Tokenizer load(Path p) {
        try (GgufFile f = GgufFile.open(p)) {
            return Tokenizer.fromGguf(f);
        }
    }
}
