package ggufc.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0: add_special=false, parse_special=false) for the
 * vocabularies in the shared models folder that come with them. Every case must match.
 */
class VocabVectorTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "bert-bge"})
    void allCasesMatch(String vocab) {
        Path gguf = TestFiles.sharedVocab(vocab);
        Path inp = TestFiles.require(Path.of(gguf + ".inp"), "the .inp/.out vectors sit next to the vocab files (see /work/shared/models/README.md)");
        Path out = TestFiles.require(Path.of(gguf + ".out"), "the .inp/.out vectors sit next to the vocab files (see /work/shared/models/README.md)");
        List<String> cases = TestFiles.splitCases(TestFiles.read(inp));
        List<String> expected = TestFiles.read(out).lines().toList();
        assertEquals(46, cases.size(), "number of cases in " + inp);
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
