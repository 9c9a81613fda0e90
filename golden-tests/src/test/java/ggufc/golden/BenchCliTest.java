package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;
import ggufc.runtime.bench.DecodeTraffic;
import ggufc.runtime.bench.ReferenceBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code ggufc bench} end to end on stories260K against the installed llama.cpp reference (short
 * runs: the figures are not checked, only that both sides were measured and reported), and its
 * parts: parsing bench.sh's output, the weight bytes a decode step reads.
 */
class BenchCliTest {
    static final String NUM = "([0-9]+(?:\\.[0-9]+)?)";

    @Test
    void benchReportsBothSidesRatiosRooflineAndRss() {
        Path model = Goldens.sharedModel("stories260K.gguf");
        Path reference = model.getParent().resolve("../reference").normalize();
        assertTrue(Files.isRegularFile(reference.resolve("bench.sh")), "the llama.cpp reference is installed beside the models: " + reference);
        CliTest.Run r = CliTest.ggufc("bench", "-m", model.toString(), "-p", "16", "-n", "8", "-t", "1", "-r", "1", "--warmup-s", "0",
                "--bandwidth-mib", "64", "--reference", reference.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("memory read bandwidth (streaming probe over 64 MiB"), r.out());
        // | model | threads | prompt ggufc | llama.cpp | ratio | decode ggufc | llama.cpp | ratio | roofline | % | rss ggufc | rss llama.cpp |
        Matcher m = Pattern.compile("\\| stories260K\\.gguf \\| 1 \\| " + NUM + " \\| " + NUM + " \\| " + NUM + " x \\| " + NUM + " \\| " + NUM + " \\| " + NUM
                + " x \\| " + NUM + " \\| " + NUM + " % \\| " + NUM + " \\| " + NUM + " \\|").matcher(r.out());
        assertTrue(m.find(), "a full row for stories260K at 1 thread:\n" + r.out());
        double gp = Double.parseDouble(m.group(1)), lp = Double.parseDouble(m.group(2)), ratio = Double.parseDouble(m.group(3));
        assertTrue(gp > 0 && lp > 0, r.out());
        assertEquals(gp / lp, ratio, 0.01 + 0.02 * ratio, "prompt ratio is ggufc / llama.cpp");
        assertTrue(Double.parseDouble(m.group(9)) > 0 && Double.parseDouble(m.group(10)) > 0, "both peak RSS figures: " + m.group());
        // the second table: compile time, the worker's first token, then the cold starts of `run --artifact -n 1` (first token and exit ms;
        // in process there is no ./ggufc launcher, so no JVM cache: "-" in its column)
        assertTrue(Pattern.compile("\\| stories260K\\.gguf \\| 1 \\| 1 \\| \\d+ \\| \\d+ \\| \\d+ \\| \\d+ \\| \\d+ \\| (-|\\d+ \\(\\d+\\)) \\| \\d+ \\(\\d+\\) \\|")
                .matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("- cold start: `ggufc run --artifact ART -p \"Once upon a time\" -n 1 --temp 0` in a new process"), r.out());
    }

    @Test
    void specBenchChoosesAnEarlyExitAndItsPredictionIsWhatTheRunDoes() {
        Path model = Goldens.sharedModel("stories260K.gguf");
        CliTest.Run r = CliTest.ggufc("bench", "--spec-type", "early-exit", "-m", model.toString(), "-n", "24", "-t", "1", "-r", "1", "--warmup-s", "0", "--draft-max", "3");
        assertEquals(0, r.exit(), r.err());
        // one row per candidate layer (stories260K: 1 .. 4), three predicted speedups each
        for (int k = 1; k <= 4; k++) {
            assertTrue(Pattern.compile("\\| " + k + " \\| " + NUM + " \\| " + NUM + " \\| " + NUM + " " + NUM + " " + NUM + " \\| [123] \\| " + NUM + "× \\|")
                    .matcher(r.out()).find(), "layer " + k + ":\n" + r.out());
        }
        Matcher chosen = Pattern.compile("Chosen: `--draft-layer (\\d) --draft-max (\\d)`, predicted " + NUM + "× plain decoding \\(acceptance " + NUM + ", " + NUM).matcher(r.out());
        assertTrue(chosen.find(), r.out());
        // the chosen pair's real run: the replay's acceptance and tokens per target step are what the loop did (same text as plain)
        Matcher run = Pattern.compile("\\| early-exit --draft-layer " + chosen.group(1) + " --draft-max " + chosen.group(2) + " \\(chosen\\) \\| " + NUM + " \\| " + NUM
                + "× \\| " + NUM + " \\| " + NUM + " \\| " + NUM + "× \\(acceptance " + NUM + ", " + NUM + "\\) \\| yes \\|").matcher(r.out());
        assertTrue(run.find(), r.out());
        assertEquals(run.group(3), chosen.group(4), "measured acceptance = predicted");
        assertEquals(run.group(3), run.group(6));
        assertEquals(run.group(4), run.group(7), "tokens per target step, measured = predicted");
        assertTrue(r.out().contains("| plain | ") && r.out().contains("| ngram --draft-max 3 | "), r.out());
    }

    @Test
    void parsesTheReferenceBenchOutput() {
        // the lines bench.sh prints (refllama bench, then llama-bench's medians)
        String out = """
                # 2026-11-22T03:37:08Z load=2.71 4.22 4.53 cpu="AMD EPYC" nproc=2
                ## refllama bench (greedy generation loop)
                model=/work/shared/models/stories260K.gguf desc="llama ?B (guessed) all F32" P=128 N=128 threads=1 reps=3 kv=f32 fa=off
                prompt_eval_tps median=9466.2  runs: 9640.2 9466.2 7267.1
                decode_tps      median=5320.0  runs: 6679.0 5320.0 4863.8
                ## llama-bench (official tool) (llama-bench has no f32 KV cache: it keeps f16)
                prompt_eval_tps (pp128) median=6185.2  runs: 821.3 6185.2 6367.7  [threads=1 kv=f16 fa=0 build=0ad4a86]
                decode_tps      (tg128) median=5204.8  runs: 4490.0 5210.9 5204.8  [threads=1 kv=f16 fa=0 build=0ad4a86]
                """;
        assertEquals(new ReferenceBench(9466.2, 5320.0, 6185.2, 5204.8), ReferenceBench.parse(out));
        ReferenceBench none = ReferenceBench.parse("nothing here");
        assertTrue(Double.isNaN(none.promptTps()) && Double.isNaN(none.decodeTps()));
    }

    @Test
    void decodeTrafficReadsEveryTensorButTheEmbeddingTable() {
        try (GgufFile f = GgufFile.open(Goldens.sharedModel("stories260K.gguf"))) {
            // stories260K has its own output matrix: a decode step reads one 64-float row of token_embd [512, 64]
            assertTrue(f.hasTensor("output.weight"));
            long all = 0;
            for (GgufTensorInfo t : f.tensors()) all += t.byteSize();
            assertEquals(all, DecodeTraffic.weightBytes(f));
            assertEquals(all - 512 * 64 * 4 + 64 * 4, DecodeTraffic.weightBytesPerToken(f));
        }
    }

    /** A mixture of experts: a decode token reads expert_used_count of each stacked expert matrix's experts. */
    @Test
    void decodeTrafficOfExpertsIsTheUsedOnes() {
        try (GgufFile f = GgufFile.open(ArchModels.file("qwen3moe", ggufc.gguf.GgmlType.F32))) {
            long experts = 0;
            for (GgufTensorInfo t : f.tensors()) if (t.name().endsWith("_exps.weight")) experts += t.byteSize();
            // 2 layers x 3 stacked matrices of 8 experts of 128 x 192 f32; 2 of 8 used
            assertEquals(2L * 3 * 8 * 128 * 192 * 4, experts);
            assertEquals(DecodeTraffic.weightBytes(f) - 512 * 192 * 4 + 192 * 4 - experts + experts / 8 * 2, DecodeTraffic.weightBytesPerToken(f));
        }
    }
}
