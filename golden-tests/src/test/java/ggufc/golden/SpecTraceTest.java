package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ggufc run --spec-type ngram-simple --spec-trace FILE} against llama.cpp's own speculative
 * loop (regenerate-spec.sh: mtp.sh with llama.cpp's ngram-simple drafter): every verify step equal,
 * position, last token, drafts, the target's tokens and the accepted count. llama.cpp's loop runs
 * one more step after the n-th token (its condition is {@code n_predict > n}) and drops that step's
 * token; ggufc stops at the n-th, so the reference has exactly one line more.
 */
class SpecTraceTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ngram-simple-n2-m8-64.txt|Once upon a time|64|2|8",
            "ngram-simple-n1-m4-48.txt|Lily saw a ball. Lily saw a ball. Lily saw a cat. Lily saw a|48|1|4"})
    void stepsAreLlamaCpps(String golden, String prompt, int n, int sizeN, int sizeM, @TempDir Path dir) throws IOException {
        Path trace = dir.resolve("trace.txt");
        CliTest.Run r = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", prompt, "-n", Integer.toString(n),
                "--temp", "0", "-t", "1", "--spec-type", "ngram-simple", "--spec-ngram-simple-size-n", Integer.toString(sizeN),
                "--spec-ngram-simple-size-m", Integer.toString(sizeM), "--spec-trace", trace.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> want = Files.readAllLines(Goldens.root().resolve("spec").resolve(golden));
        List<String> got = Files.readAllLines(trace);
        assertEquals(want.size() - 1, got.size(), "llama.cpp runs one step more than ggufc");
        assertEquals(want.subList(0, got.size()), got);
        assertTrue(got.stream().anyMatch(l -> !l.contains("draft=[]")), "no step drafted anything");
        CliTest.Run plain = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", prompt, "-n", Integer.toString(n),
                "--temp", "0", "-t", "1");
        assertEquals(plain.out(), r.out());
    }
}
