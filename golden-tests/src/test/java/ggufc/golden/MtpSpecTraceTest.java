package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufValue;
import ggufc.gguf.GgufWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ggufc run --model HY.gguf --spec-type draft-mtp --spec-trace FILE} without {@code -md}: a dense hy_v3's own
 * MTP (nextn) layer drafts, against llama.cpp's own draft-mtp loop on the same file (regenerate-spec.sh: mtp.sh on
 * the models {@code ggufc synth --preset hyv3-mtp-tiny|hyv3-mtp-cycle-tiny --seed 1} writes, which this test writes
 * again): every verify step equal, drafts included, on both CPU backends. The random model's drafts are the MTP
 * head's guesses (one accepted in 48 tokens); the cycle model's are mostly accepted, so the MTP cache is filled from
 * verify steps that keep several drafts; a 73-token prompt is longer than the vector plans' 64-token chunks. llama.cpp's
 * loop runs one more step when the n-th token ends a step exactly (its condition is {@code n_predict > n}); ggufc stops
 * at the n-th, so the reference has the same lines or one more. The plain greedy text of both models is llama.cpp's
 * ({@code generate.sh}), and the speculative run prints it too.
 */
class MtpSpecTraceTest {
    @TempDir
    static Path models;

    static final String LONG = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. One day, she saw a big red ball in the park. "
            + "She ran to the ball and kicked it very hard. The ball went up high into the sky and came down near a tree. Lily was happy and laughed.";

    @BeforeAll
    static void writeModels() {
        for (String p : new String[] {"hyv3-mtp-tiny", "hyv3-mtp-cycle-tiny"}) {
            CliTest.Run r = CliTest.ggufc("synth", "--preset", p, "--seed", "1", "-o", model(p), "--vocab", Goldens.sharedModel("stories260K.gguf").toString());
            assertEquals(0, r.exit(), r.err());
        }
    }

    private static String model(String preset) { return models.resolve(preset + ".gguf").toString(); }

    @ParameterizedTest
    @CsvSource({
            "hyv3-mtp-tiny, 48, 3, 0, vector, ",
            "hyv3-mtp-tiny, 48, 3, 0, interpreter, ",
            "hyv3-mtp-cycle-tiny, 48, 3, 0, vector, ",
            "hyv3-mtp-cycle-tiny, 48, 3, 0, interpreter, ",
            "hyv3-mtp-cycle-tiny, 64, 4, 0, vector, ",
            "hyv3-mtp-tiny, 32, 4, 0.9, vector, ",
            "hyv3-mtp-cycle-tiny, 48, 2, 0.5, interpreter, ",
            "hyv3-mtp-cycle-tiny, 40, 3, 0, vector, long",
            "hyv3-mtp-cycle-tiny, 40, 3, 0, interpreter, long",
            "hyv3-mtp-tiny, 48, 3, 0, artifact, ",
            "hyv3-mtp-cycle-tiny, 48, 3, 0, artifact, "})
    void stepsAreLlamaCpps(String preset, int n, int draftMax, String pMin, String backend, String prompt, @TempDir Path dir) throws IOException {
        Path trace = dir.resolve("trace.txt");
        String text = prompt == null ? "Once upon a time" : LONG;
        // an artifact compiled with the MTP layer's draft step (a second generated class), or the model on a backend
        List<String> where = List.of("--model", model(preset), "--backend", backend);
        if (backend.equals("artifact")) {
            Path out = dir.resolve("artifact");
            CliTest.Run c = CliTest.ggufc("compile", "--model", model(preset), "-o", out.toString(), "--spec-type", "draft-mtp", "--threads", "1", "--no-jvm-cache");
            assertEquals(0, c.exit(), c.err());
            assertTrue(c.err().contains("and its MTP layer's draft step"), c.err());
            where = List.of("--artifact", out.toString());
        }
        List<String> args = new java.util.ArrayList<>(List.of("run", "--spec-type", "draft-mtp", "--prompt", text, "-n", Integer.toString(n),
                "--draft-max", Integer.toString(draftMax), "--temp", "0", "-t", "1", "--draft-p-min", pMin, "--spec-trace", trace.toString()));
        args.addAll(where);
        CliTest.Run r = CliTest.ggufc(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("draft-mtp with the MTP layer of " + preset + ".gguf"), r.err());
        List<String> want = Files.readAllLines(Goldens.root().resolve("spec").resolve("draft-mtp-own-" + preset + "-" + n + "-" + draftMax
                + (pMin.equals("0") ? "" : "-p" + pMin) + (prompt == null ? "" : "-" + prompt) + ".txt"));
        List<String> got = Files.readAllLines(trace);
        assertTrue(want.size() - got.size() == 0 || want.size() - got.size() == 1, "llama.cpp runs as many steps or one more: " + want.size() + " against " + got.size());
        assertEquals(want.subList(0, got.size()), got);
        if (pMin.equals("0")) assertTrue(got.stream().noneMatch(l -> AssistantSpecTraceTest.drafts(l) == 0), "a step drafted nothing");
        else assertTrue(got.subList(0, got.size() - draftMax).stream().anyMatch(l -> AssistantSpecTraceTest.drafts(l) < draftMax), "--draft-p-min cut no draft short");
        // the cycle model's drafts are kept in most steps (with --draft-p-min 0.5 many drafts are cut first)
        long kept = got.stream().filter(l -> !l.endsWith("accepted=0")).count();
        if (preset.contains("cycle")) assertTrue(pMin.equals("0") ? kept > got.size() / 2 : kept > 0, kept + " of " + got.size() + " steps kept a draft");
        List<String> plainArgs = new java.util.ArrayList<>(List.of("run", "--prompt", text, "-n", Integer.toString(n), "--temp", "0", "-t", "1"));
        plainArgs.addAll(where);
        CliTest.Run plain = CliTest.ggufc(plainArgs.toArray(String[]::new));
        assertEquals(0, plain.exit(), plain.err());
        assertEquals(plain.out(), r.out());
    }

    /** On a model split over two CPU sub-devices, in every mode: the MTP layer has a cache of its own and reads the split target's hidden rows; llama.cpp's unsplit steps. */
    @ParameterizedTest
    @CsvSource({"layer, vector", "row, interpreter", "tensor, vector", "graph, interpreter"})
    void splitModels(String sm, String backend, @TempDir Path dir) throws IOException {
        Path trace = dir.resolve("trace.txt");
        CliTest.Run r = CliTest.ggufc("run", "--model", model("hyv3-mtp-cycle-tiny"), "--spec-type", "draft-mtp", "--prompt", "Once upon a time", "-n", "48",
                "--draft-max", "3", "--temp", "0", "-t", "1", "--backend", backend, "--spec-trace", trace.toString(), "-sm", sm, "--device", "cpu:0,cpu:1");
        assertEquals(0, r.exit(), r.err());
        List<String> want = Files.readAllLines(Goldens.root().resolve("spec").resolve("draft-mtp-own-hyv3-mtp-cycle-tiny-48-3.txt"));
        List<String> got = Files.readAllLines(trace);
        assertEquals(want.subList(0, got.size()), got);
        CliTest.Run plain = CliTest.ggufc("run", "--model", model("hyv3-mtp-cycle-tiny"), "--prompt", "Once upon a time", "-n", "48", "--temp", "0", "-t", "1",
                "--backend", backend, "-sm", sm, "--device", "cpu:0,cpu:1");
        assertEquals(plain.out(), r.out());
    }

    /** Plain greedy decoding of the dense hy_v3 trunk (the MTP block not run) prints llama.cpp's text, on every backend. */
    @ParameterizedTest
    @CsvSource({"hyv3-mtp-tiny, vector", "hyv3-mtp-tiny, interpreter", "hyv3-mtp-tiny, artifact", "hyv3-mtp-tiny, opencl:0",
            "hyv3-mtp-cycle-tiny, vector", "hyv3-mtp-cycle-tiny, interpreter"})
    void greedyTextIsLlamaCpps(String preset, String backend, @TempDir Path dir) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--prompt", "Once upon a time", "-n", "48", "--temp", "0", "-t", "1"));
        switch (backend) {
            case "artifact" -> {
                Path out = dir.resolve("artifact");
                CliTest.Run c = CliTest.ggufc("compile", "--model", model(preset), "-o", out.toString(), "--threads", "1", "--no-jvm-cache");
                assertEquals(0, c.exit(), c.err());
                args.addAll(List.of("--artifact", out.toString()));
            }
            case "opencl:0" -> args.addAll(List.of("--model", model(preset), "--device", backend));
            default -> args.addAll(List.of("--model", model(preset), "--backend", backend));
        }
        CliTest.Run r = CliTest.ggufc(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("hy_v3, 2 layers"), r.err());
        // llama.cpp prints raw bytes, read back as UTF-8 with U+FFFD for what is not (byte tokens)
        String want = new String(Files.readAllBytes(Goldens.root().resolve("spec").resolve("greedy-48-" + preset + ".txt")), StandardCharsets.UTF_8);
        assertEquals(want, r.out());
    }

    /** The trunk's logits at every position of "Once upon a time" are llama.cpp's (logits.sh), on both backends. */
    @ParameterizedTest
    @CsvSource({"INTERPRETER", "VECTOR"})
    void logitsAreLlamaCpps(ggufc.runtime.LoadedModel.Backend backend) {
        Goldens.Logits golden = Goldens.Logits.read(Goldens.root().resolve("spec").resolve("logits-hyv3-mtp-tiny.bin"));
        try (ggufc.runtime.LoadedModel m = ggufc.runtime.LoadedModel.open(Path.of(model("hyv3-mtp-tiny")), 256, ggufc.ir.DType.F32, true, backend, 1)) {
            int[] ids = m.tokenizer().encode("Once upon a time", true, false);
            org.junit.jupiter.api.Assertions.assertArrayEquals(golden.tokens(), ids);
            float[][] rows = m.executor().stepAll(ids, 0);
            double worst = 0;
            for (int r = 0; r < golden.rows().length; r++) {
                for (int j = 0; j < golden.vocab(); j++) worst = Math.max(worst, Math.abs(rows[golden.rowPositions()[r]][j] - golden.rows()[r][j]));
            }
            System.out.printf("parity hyv3-mtp-tiny %s: max |logit diff| = %.3g%n", backend, worst);
            assertTrue(worst <= 1e-4, backend + ": max |logit diff| " + worst);
        }
    }

    @Test
    void refusalsAreOneLine(@TempDir Path dir) throws IOException {
        String hy = model("hyv3-mtp-tiny");
        // the MoE form
        Path moe = dir.resolve("hy-moe.gguf");
        try (GgufFile f = GgufFile.open(Path.of(hy))) {
            GgufWriter.copyOf(f).put("hy_v3.expert_count", GgufValue.u32(8)).put("hy_v3.expert_used_count", GgufValue.u32(2)).write(moe);
        }
        AssistantSpecTraceTest.oneLine(CliTest.ggufc("run", "--model", moe.toString(), "--prompt", "Once", "-n", "4", "--temp", "0"), "hy-moe.gguf: is a mixture-of-experts hy_v3");
        // a hy_v3 without MTP layers (block 2 is then a trunk layer): draft-mtp needs a drafter
        Path plain = dir.resolve("hy-no-nextn.gguf");
        try (GgufFile f = GgufFile.open(Path.of(hy))) {
            GgufWriter.copyOf(f).put("hy_v3.nextn_predict_layers", GgufValue.u32(0)).write(plain);
        }
        AssistantSpecTraceTest.oneLine(CliTest.ggufc("run", "--model", plain.toString(), "--spec-type", "draft-mtp", "--prompt", "Once", "-n", "4", "--temp", "0"), "hy-no-nextn.gguf: has no MTP (nextn) layers");
        // MTP layers of another architecture are not read yet
        Path llama = dir.resolve("llama-nextn.gguf");
        try (GgufFile f = GgufFile.open(Goldens.sharedModel("stories260K.gguf"))) {
            GgufWriter.copyOf(f).put("llama.nextn_predict_layers", GgufValue.u32(1)).write(llama);
        }
        AssistantSpecTraceTest.oneLine(CliTest.ggufc("run", "--model", llama.toString(), "--spec-type", "draft-mtp", "--prompt", "Once", "-n", "4", "--temp", "0"),
                "the MTP (nextn) layers inside llama-nextn.gguf (llama) are not read yet (only hy_v3's are)");
    }
}
