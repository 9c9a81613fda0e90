package ggufc.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Encoding must not be quadratic in the vocabulary or the text. */
class PerformanceTest {

    @Test
    void deepseekLlmEncodesTheTestFileWellUnderASecond() {
        Tokenizer t = TestFiles.tokenizer(TestFiles.sharedVocab("deepseek-llm")); // 102400 tokens, 99757 merges
        List<String> cases = TestFiles.splitCases(TestFiles.read(TestFiles.sharedVocab("gpt-2").resolveSibling("ggml-vocab-gpt-2.gguf.inp")));
        long t0 = System.nanoTime();
        int n = 0;
        for (String c : cases) n += t.encode(c, false, false).length;
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("deepseek-llm: " + cases.size() + " cases, " + n + " tokens in " + ms + " ms (cold)");
        assertTrue(ms < 1000, "encoding llama.cpp's 46 test strings took " + ms + " ms");
    }

    @Test
    void longInputsScaleLinearly() {
        StringBuilder sb = new StringBuilder();
        String all = TestFiles.resource("cases.inp").replace(TestFiles.SEPARATOR, "\n");
        while (sb.length() < 200_000) sb.append(all);
        String text = sb.toString();
        for (String vocab : List.of("deepseek-llm", "llama-spm", "bert-bge", "gpt-2")) {
            Tokenizer t = TestFiles.tokenizer(TestFiles.sharedVocab(vocab));
            t.encode(all, false, false); // warm up
            long t0 = System.nanoTime();
            int[] ids = t.encode(text, true, true);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println(vocab + ": " + text.length() + " chars -> " + ids.length + " tokens in " + ms + " ms");
            assertTrue(ms < 10_000, vocab + ": " + text.length() + " chars took " + ms + " ms");
        }
    }
}
