package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufValue;
import ggufc.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ggufc run --model TARGET -md ASSISTANT --spec-type draft-mtp --spec-trace FILE} against llama.cpp's own
 * draft-mtp loop with a gemma4-assistant drafter (regenerate-spec.sh: mtp.sh on the pairs {@code ggufc synth
 * --preset gemma4-mtp-tiny|gemma4-mtp-cycle-tiny --seed 1} writes, which this test writes again): every verify
 * step equal, drafts included; a Q8_0 assistant's too (its activations rounded as llama.cpp rounds them), beside the F32 target and beside a Q8_0 target. The random pair's drafts depend on the target's hidden state as much as on the
 * token and none is accepted; the cycle pair's are mostly accepted. llama.cpp's loop runs one more step when the
 * n-th token ends a step exactly (its condition is {@code n_predict > n}); ggufc stops at the n-th, so the
 * reference has the same lines or one more.
 */
class AssistantSpecTraceTest {
    @TempDir
    static Path pairs;

    @BeforeAll
    static void writePairs() {
        for (String p : new String[] {"gemma4-mtp-tiny", "gemma4-mtp-cycle-tiny"}) {
            for (String t : new String[] {"F32", "Q8_0"}) {
                CliTest.Run r = CliTest.ggufc("synth", "--preset", p, "--seed", "1", "--type", t, "-o", pairs.resolve(p + "-" + t + ".gguf").toString(),
                        "--assistant-out", pairs.resolve(p + "-assistant-" + t + ".gguf").toString(), "--vocab", Goldens.sharedModel("stories260K.gguf").toString());
                assertEquals(0, r.exit(), r.err());
            }
        }
    }

    @ParameterizedTest
    @CsvSource({
            "gemma4-mtp-tiny, 48, 3, 0, F32, vector, F32",
            "gemma4-mtp-cycle-tiny, 48, 4, 0, F32, vector, F32",
            "gemma4-mtp-cycle-tiny, 64, 3, 0, F32, vector, F32",
            "gemma4-mtp-cycle-tiny, 48, 4, 0, F32, interpreter, F32",
            "gemma4-mtp-tiny, 48, 3, 0, F32, interpreter, F32",
            "gemma4-mtp-tiny, 32, 4, 0.9, F32, vector, F32",
            "gemma4-mtp-tiny, 48, 3, 0, Q8_0, vector, F32",
            "gemma4-mtp-tiny, 48, 3, 0, Q8_0, interpreter, F32",
            "gemma4-mtp-tiny, 48, 3, 0, Q8_0, vector, Q8_0",
            "gemma4-mtp-tiny, 48, 3, 0, Q8_0, interpreter, Q8_0"})
    void stepsAreLlamaCpps(String pair, int n, int draftMax, String pMin, String assistantType, String backend, String targetType, @TempDir Path dir) throws IOException {
        Path trace = dir.resolve("trace.txt");
        String target = pairs.resolve(pair + "-" + targetType + ".gguf").toString();
        CliTest.Run r = CliTest.ggufc("run", "--model", target, "-md", pairs.resolve(pair + "-assistant-" + assistantType + ".gguf").toString(), "--spec-type", "draft-mtp",
                "--prompt", "Once upon a time", "-n", Integer.toString(n), "--draft-max", Integer.toString(draftMax), "--temp", "0", "-t", "1",
                "--draft-p-min", pMin, "--backend", backend, "--spec-trace", trace.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> want = Files.readAllLines(Goldens.root().resolve("spec").resolve("draft-mtp-" + pair + "-" + n + "-" + draftMax + (pMin.equals("0") ? "" : "-p" + pMin)
                + (assistantType.equals("F32") ? "" : "-" + assistantType) + (targetType.equals("F32") ? "" : "-target" + targetType) + ".txt"));
        List<String> got = Files.readAllLines(trace);
        assertTrue(want.size() - got.size() == 0 || want.size() - got.size() == 1, "llama.cpp runs as many steps or one more: " + want.size() + " against " + got.size());
        assertEquals(want.subList(0, got.size()), got);
        if (pMin.equals("0")) assertTrue(got.stream().noneMatch(l -> drafts(l) == 0), "a step drafted nothing");
        // the last steps' drafts are cut by the tokens still wanted, not by --draft-p-min
        else assertTrue(got.subList(0, got.size() - draftMax).stream().anyMatch(l -> drafts(l) < draftMax), "--draft-p-min cut no draft short");
        if (pair.contains("cycle")) assertTrue(got.stream().anyMatch(l -> !l.endsWith("accepted=0")), "no draft accepted");
        CliTest.Run plain = CliTest.ggufc("run", "--model", target, "--prompt", "Once upon a time", "-n", Integer.toString(n), "--temp", "0", "-t", "1", "--backend", backend);
        assertEquals(plain.out(), r.out());
    }

    /**
     * On a model split over two CPU sub-devices: the assistant reads the target's caches whole, so on a layer or row split
     * its steps are llama.cpp's unsplit ones; a tensor or graph split, which shards them by head, is refused in one line.
     */
    @ParameterizedTest
    @CsvSource({"layer, vector", "row, interpreter", "tensor, vector", "graph, interpreter"})
    void splitModels(String sm, String backend, @TempDir Path dir) throws IOException {
        Path trace = dir.resolve("trace.txt");
        String target = pairs.resolve("gemma4-mtp-cycle-tiny-F32.gguf").toString();
        CliTest.Run r = CliTest.ggufc("run", "--model", target, "-md", pairs.resolve("gemma4-mtp-cycle-tiny-assistant-F32.gguf").toString(), "--spec-type", "draft-mtp",
                "--prompt", "Once upon a time", "-n", "48", "--draft-max", "4", "--temp", "0", "-t", "1", "--backend", backend, "--spec-trace", trace.toString(),
                "-sm", sm, "--device", "cpu:0,cpu:1");
        if (sm.equals("tensor") || sm.equals("graph")) {
            oneLine(r, "a gemma4-assistant reads the target's KV caches whole, and this split shards them by head");
            return;
        }
        assertEquals(0, r.exit(), r.err());
        List<String> want = Files.readAllLines(Goldens.root().resolve("spec").resolve("draft-mtp-gemma4-mtp-cycle-tiny-48-4.txt"));
        List<String> got = Files.readAllLines(trace);
        assertEquals(want.subList(0, got.size()), got);
        CliTest.Run plain = CliTest.ggufc("run", "--model", target, "--prompt", "Once upon a time", "-n", "48", "--temp", "0", "-t", "1", "--backend", backend,
                "-sm", sm, "--device", "cpu:0,cpu:1");
        assertEquals(plain.out(), r.out());
    }

    @Test
    void refusalsAreOneLine(@TempDir Path dir) throws IOException {
        String target = pairs.resolve("gemma4-mtp-tiny-F32.gguf").toString(), assistant = pairs.resolve("gemma4-mtp-tiny-assistant-F32.gguf").toString();
        String stories = Goldens.sharedModel("stories260K.gguf").toString();
        // -md with a model that is not an assistant
        oneLine(CliTest.ggufc("run", "--model", target, "-md", stories, "--spec-type", "draft-mtp", "--prompt", "Once", "-n", "4", "--temp", "0"),
                "stories260K.gguf: is a 'llama' model, not a gemma4-assistant drafter");
        // an assistant for a target of another width
        Path narrow = dir.resolve("narrow-assistant.gguf");
        try (GgufFile a = GgufFile.open(Path.of(assistant))) {
            GgufWriter.copyOf(a).put("gemma4-assistant.embedding_length_out", GgufValue.u32(192)).write(narrow);
        }
        oneLine(CliTest.ggufc("run", "--model", target, "-md", narrow.toString(), "--spec-type", "draft-mtp", "--prompt", "Once", "-n", "4", "--temp", "0"),
                "narrow-assistant.gguf: 'gemma4-assistant.embedding_length_out' is 192 but the target gemma4-mtp-tiny-F32.gguf is 256 wide");
        // draft-mtp without a drafter on a model without nextn layers
        oneLine(CliTest.ggufc("run", "--model", target, "--spec-type", "draft-mtp", "--prompt", "Once", "-n", "4", "--temp", "0"),
                "gemma4-mtp-tiny-F32.gguf: has no MTP (nextn) layers");
        // the assistant alone
        oneLine(CliTest.ggufc("run", "--model", assistant, "--prompt", "Once", "-n", "4", "--temp", "0"), "is a gemma4-assistant drafter, not a model of its own");
    }

    /** The number of drafts in a trace line. */
    static int drafts(String line) {
        String list = line.substring(line.indexOf("draft=[") + 7, line.indexOf(']', line.indexOf("draft=[")));
        return list.isEmpty() ? 0 : list.split(",").length;
    }

    static void oneLine(CliTest.Run r, String contains) {
        assertEquals(1, r.exit(), r.err());
        List<String> lines = r.err().lines().filter(l -> l.startsWith("ggufc: ") && !l.contains(", vocab ")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).contains(contains), lines.get(0));
    }
}
