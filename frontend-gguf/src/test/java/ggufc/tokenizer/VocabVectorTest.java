package ggufc.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0: add_special=false, parse_special=false) for the
 * vocabularies in the shared models folder that come with them, and for gemma-4 and qwen35, whose vectors only
 * llama.cpp's models/ folder has. Every case must match.
 */
class VocabVectorTest {

    /** Cases per .inp file: llama.cpp's 46 test strings; qwen35's file adds 4 (accented and Vietnamese words). */
    private static final Map<String, Integer> CASES = Map.of("qwen35", 50);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "bert-bge", "gemma-4", "qwen35"})
    void allCasesMatch(String vocab) {
        Path gguf = TestFiles.anyVocab(vocab);
        String where = "the .inp/.out vectors sit next to the vocab files (see /work/shared/models/README.md)";
        Path inp = TestFiles.require(Path.of(gguf + ".inp"), where);
        Path out = TestFiles.require(Path.of(gguf + ".out"), where);
        List<String> cases = TestFiles.splitCases(TestFiles.read(inp));
        List<String> expected = TestFiles.read(out).lines().toList();
        assertEquals(CASES.getOrDefault(vocab, 46), cases.size(), "number of cases in " + inp);
        assertEquals(cases.size(), expected.size(), "lines in " + out + " vs cases in " + inp);

        Tokenizer tok = TestFiles.tokenizer(gguf);
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            int[] want = TestFiles.parseIds(expected.get(i));
            int[] got = tok.encode(cases.get(i), false, false);
            if (!Arrays.equals(want, got)) {
                mismatches.add("case " + i + " " + TestFiles.show(cases.get(i)) + "\n    expected " + Arrays.toString(want)
                        + "\n    got      " + Arrays.toString(got));
            }
        }
        if (!mismatches.isEmpty()) {
            fail(vocab + ": " + mismatches.size() + " of " + cases.size() + " cases differ from " + out.getFileName() + ":\n"
                    + String.join("\n", mismatches.subList(0, Math.min(8, mismatches.size()))));
        }
    }
}
