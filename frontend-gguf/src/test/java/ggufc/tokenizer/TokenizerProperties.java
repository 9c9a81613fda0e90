package ggufc.tokenizer;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Properties llama.cpp's tokenizers have for arbitrary text, checked on random strings: byte-level BPE without
 * space clean-up and SentencePiece round-trip (decode(encode(s)) == s), and the stream decoder always produces
 * exactly the concatenated pieces.
 */
class TokenizerProperties {

    /** Random text: mostly ASCII and spaces, with letters, marks, digits, CJK, emoji and rare code points mixed in. */
    @Provide
    Arbitrary<String> text() {
        Arbitrary<Integer> ascii = Arbitraries.integers().between(0x20, 0x7E);
        Arbitrary<Integer> ws = Arbitraries.of((int) ' ', (int) ' ', (int) '\n', (int) '\t', (int) '\r', 0xA0, 0x3000, 0x2028);
        Arbitrary<Integer> bmp = Arbitraries.integers().between(0x80, 0xFFFD).filter(c -> c < 0xD800 || c > 0xDFFF);
        Arbitrary<Integer> astral = Arbitraries.integers().between(0x10000, 0x10FFFF);
        Arbitrary<Integer> picked = Arbitraries.of(0x0301, 0x00E9, 0x4E2D, 0x1F600, 0x1F1FA, 0x200D, 0x0663, 0x00BD, (int) '\'', 0x2581);
        Arbitrary<Integer> cp = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, ascii), net.jqwik.api.Tuple.of(4, ws), net.jqwik.api.Tuple.of(3, bmp),
                net.jqwik.api.Tuple.of(1, astral), net.jqwik.api.Tuple.of(3, picked));
        return cp.list().ofMaxSize(60).map(l -> {
            StringBuilder sb = new StringBuilder();
            for (int c : l) sb.appendCodePoint(c);
            return sb.toString();
        });
    }

    @Property(tries = 300)
    void byteLevelBpeRoundTrips(@ForAll("text") String s) {
        for (String vocab : new String[] {"deepseek-llm", "deepseek-coder", "qwen35"}) { // no clean_spaces: decoding is exact
            Tokenizer t = TestFiles.tokenizer(TestFiles.anyVocab(vocab));
            assertEquals(s, t.decode(t.encode(s, false, false)), vocab);
        }
    }

    @Property(tries = 300)
    void sentencePieceRoundTrips(@ForAll("text") String s) {
        // U+2581 is SentencePiece's escaped space: it comes back as a space (in llama.cpp too)
        String expected = s.replace('\u2581', ' ');
        Tokenizer t = TestFiles.tokenizer(TestFiles.sharedVocab("llama-spm"));
        assertEquals(expected, t.decode(t.encode(s, false, false)));
    }

    @Provide
    Arbitrary<int[]> spmIds() {
        // byte tokens (3..258) make partial characters common
        Arbitrary<Integer> id = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(3, 258)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 31999)));
        return id.array(int[].class).ofMaxSize(40);
    }

    @Property(tries = 300)
    void streamDecoderEqualsConcatenatedPieces(@ForAll("spmIds") int[] ids) {
        Tokenizer t = TestFiles.tokenizer(TestFiles.sharedVocab("llama-spm"));
        StreamDecoder d = t.streamDecoder();
        StringBuilder streamed = new StringBuilder();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int id : ids) {
            streamed.append(d.push(id));
            all.writeBytes(t.pieceBytes(id, false));
        }
        streamed.append(d.flush());
        assertEquals(new String(all.toByteArray(), StandardCharsets.UTF_8), streamed.toString());
    }

    @Property(tries = 100)
    void encodingIsDeterministicAndSpecialFlagsOnlyAdd(@ForAll("text") String s) {
        Tokenizer t = TestFiles.tokenizer(TestFiles.sharedVocab("llama-spm"));
        int[] plain = t.encode(s, false, false);
        int[] withBos = t.encode(s, true, false);
        assertEquals(plain.length + 1, withBos.length);
        assertEquals(t.bos(), withBos[0]);
        assertArrayEquals(plain, java.util.Arrays.copyOfRange(withBos, 1, withBos.length));
    }
}
