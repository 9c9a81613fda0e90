package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ggufc run --spec-type ...} prints exactly the plain greedy text, and says what it did. */
class SpeculativeCliTest {
    static CliTest.Run run(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(),
                "--prompt", "Once upon a time", "-n", "64", "-t", "1"));
        args.addAll(List.of(extra));
        if (!args.contains("--temp")) args.addAll(List.of("--temp", "0"));
        return CliTest.ggufc(args.toArray(String[]::new));
    }

    @Test
    void speculativeTextIsPlainText() {
        CliTest.Run plain = run();
        assertEquals(0, plain.exit(), plain.err());
        for (List<String> spec : List.of(List.of("--spec-type", "ngram"), List.of("--spec-type", "early-exit"),
                List.of("--spec-type", "early-exit", "--draft-layer", "4", "--draft-max", "16"),
                List.of("--spec-type", "ngram", "--spec-draft-n-max", "8", "--draft-min", "2"),
                List.of("--spec-type", "ngram-simple", "--spec-ngram-simple-size-n", "1", "--spec-ngram-simple-size-m", "6"),
                List.of("--spec-type", "early-exit", "--backend", "interpreter", "--draft-p-min", "0.5"))) {
            List<String> a = new java.util.ArrayList<>(spec);
            a.add("--timings");
            CliTest.Run r = run(a.toArray(String[]::new));
            assertEquals(0, r.exit(), spec + ": " + r.err());
            assertEquals(plain.out(), r.out(), spec.toString());
            assertTrue(r.err().matches("(?s).*timings: speculative \\S+: drafted \\d+, accepted \\d+, acceptance [0-9.]+, \\d+ target steps, [0-9.]+ tokens per target step.*"), r.err());
        }
    }

    @Test
    void refusals() {
        CliTest.Run r = run("--spec-type", "medusa");
        assertTrue(r.exit() != 0 && r.err().contains("--spec-type must be none, ngram, ngram-simple, early-exit, draft-mtp or fitted"), r.err());
        r = run("--spec-type", "early-exit", "--draft-layer", "5");
        assertTrue(r.exit() != 0 && r.err().contains("--draft-layer must be in 1..4"), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> l.contains("draft-layer")).count(), r.err());
    }

    /** With sampling: speculative sampling runs (its distribution is checked by SpeculativeProperties). */
    @Test
    void samplingRuns() {
        for (String type : List.of("ngram", "early-exit")) {
            CliTest.Run r = run("--spec-type", type, "--temp", "0.8", "--timings");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().length() > 20 && r.err().contains("timings: speculative " + type), r.err());
        }
    }

    /** ngram on an artifact compiled with every position's logits; refusals without them, and for early-exit without a compiled draft step. */
    @Test
    void artifacts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String model = Goldens.sharedModel("stories260K.gguf").toString();
        java.nio.file.Path all = dir.resolve("all"), last = dir.resolve("last");
        assertEquals(0, CliTest.ggufc("compile", "-m", model, "-o", all.toString(), "--all-logits", "--no-jvm-cache").exit());
        assertEquals(0, CliTest.ggufc("compile", "-m", model, "-o", last.toString(), "--no-jvm-cache").exit());
        CliTest.Run plain = run();
        String[] base = {"run", "--artifact", "", "--prompt", "Once upon a time", "-n", "64", "--temp", "0", "-t", "1", "--spec-type", ""};
        base[2] = all.toString();
        base[12] = "ngram";
        CliTest.Run r = CliTest.ggufc(base);
        assertEquals(0, r.exit(), r.err());
        assertEquals(plain.out(), r.out());
        base[2] = last.toString();
        r = CliTest.ggufc(base);
        assertTrue(r.exit() != 0 && r.err().contains("recompile with `ggufc compile --all-logits`"), r.err());
        base[2] = all.toString();
        base[12] = "early-exit";
        r = CliTest.ggufc(base);
        assertTrue(r.exit() != 0 && r.err().contains("an artifact holds one when compiled with `ggufc compile --spec-type early-exit` (this one was not)"), r.err());
    }

    /**
     * An artifact compiled with its early-exit draft step (a second generated class on the target's caches): the plain
     * text, and the same drafts as the draft step built from --model (drafted, accepted, target steps); its IR is the module.
     */
    @Test
    void earlyExitArtifact(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        String model = Goldens.sharedModel("stories260K.gguf").toString();
        java.nio.file.Path ee = dir.resolve("ee");
        CliTest.Run c = CliTest.ggufc("compile", "-m", model, "-o", ee.toString(), "--spec-type", "early-exit", "--draft-layer", "3", "--no-jvm-cache");
        assertEquals(0, c.exit(), c.err());
        assertTrue(c.err().contains("and its early-exit draft step after 3 layers"), c.err());
        ggufc.ir.GraphModule m = ggufc.ir.text.IrParser.parseModule(java.nio.file.Files.readString(ee.resolve("model.ir")), "model.ir");
        assertEquals(List.of("llama_step", "llama_step_draft"), m.graphs().stream().map(ggufc.ir.Graph::name).toList());
        CliTest.Run plain = run();
        CliTest.Run fromModel = run("--spec-type", "early-exit", "--draft-layer", "3", "--timings");
        CliTest.Run fromArtifact = CliTest.ggufc("run", "--artifact", ee.toString(), "--prompt", "Once upon a time", "-n", "64", "--temp", "0", "-t", "1",
                "--spec-type", "early-exit", "--timings");
        assertEquals(0, fromArtifact.exit(), fromArtifact.err());
        assertEquals(plain.out(), fromArtifact.out());
        String line = fromModel.err().lines().filter(l -> l.startsWith("timings: speculative")).findFirst().orElseThrow();
        assertTrue(fromArtifact.err().contains(line), line + "\n" + fromArtifact.err());
        assertTrue(fromArtifact.err().contains("early-exit after layer 3 of 5"), fromArtifact.err());
        CliTest.Run other = CliTest.ggufc("run", "--artifact", ee.toString(), "--prompt", "Once upon a time", "-n", "8", "--temp", "0", "--spec-type", "early-exit",
                "--draft-layer", "2");
        assertTrue(other.exit() != 0 && other.err().contains("recompile with `ggufc compile --spec-type early-exit --draft-layer 2`"), other.err());
    }

    /**
     * On a model split over two CPU sub-devices, in every mode, on both backends: ngram and early-exit give the text plain
     * decoding gives on the same split; early-exit's drafts are the unsplit model's (the draft step runs unsplit where the
     * split keeps each cache whole, layer and row, and is split by the same pass where it shards them, tensor and graph).
     */
    @Test
    void splitModels() {
        String unsplit = run("--spec-type", "early-exit", "--timings").err().lines().filter(l -> l.startsWith("timings: speculative")).findFirst().orElseThrow();
        for (String backend : List.of("vector", "interpreter")) {
            for (String sm : List.of("layer", "row", "tensor", "graph")) {
                CliTest.Run plain = run("-sm", sm, "--device", "cpu:0,cpu:1", "--backend", backend);
                assertEquals(0, plain.exit(), sm + ": " + plain.err());
                for (String type : List.of("ngram", "early-exit")) {
                    CliTest.Run r = run("-sm", sm, "--device", "cpu:0,cpu:1", "--backend", backend, "--spec-type", type, "--timings");
                    assertEquals(0, r.exit(), backend + " " + sm + " " + type + ": " + r.err());
                    assertEquals(plain.out(), r.out(), backend + " " + sm + " " + type);
                    assertTrue(r.err().contains("timings: speculative " + type), r.err());
                    if (type.equals("early-exit")) assertTrue(r.err().contains(unsplit), backend + " " + sm + ": the unsplit run's drafts, " + unsplit + "\n" + r.err());
                }
            }
        }
    }

    /**
     * `ggufc compile --draft-layer auto`: the layer and draft length chosen at compile time by measurement, recorded in the
     * manifest; `run --artifact` drafts with them and does what the compile-time replay predicted (acceptance and tokens
     * per target step, to the digit), with the plain text.
     */
    @Test
    void compileTimeChoice(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        String model = Goldens.sharedModel("stories260K.gguf").toString();
        java.nio.file.Path out = dir.resolve("auto");
        CliTest.Run c = CliTest.ggufc("compile", "-m", model, "-o", out.toString(), "--spec-type", "early-exit", "--draft-layer", "auto", "--no-jvm-cache", "-t", "1");
        assertEquals(0, c.exit(), c.err());
        java.util.Properties manifest = new java.util.Properties();
        try (var in = java.nio.file.Files.newBufferedReader(out.resolve("manifest.properties"))) {
            manifest.load(in);
        }
        int layer = Integer.parseInt(manifest.getProperty("draft.layer")), max = Integer.parseInt(manifest.getProperty("draft.max"));
        assertTrue(layer >= 1 && layer <= 4 && max >= 1 && max <= 8, manifest.toString());
        java.util.regex.Matcher choice = java.util.regex.Pattern.compile("acceptance ([0-9.]+), ([0-9.]+) tokens per target step").matcher(manifest.getProperty("draft.choice"));
        assertTrue(choice.find(), manifest.getProperty("draft.choice"));
        CliTest.Run plain = run();
        CliTest.Run r = CliTest.ggufc("run", "--artifact", out.toString(), "--prompt", "Once upon a time", "-n", "64", "--temp", "0", "-t", "1", "--spec-type", "early-exit", "--timings");
        assertEquals(0, r.exit(), r.err());
        assertEquals(plain.out(), r.out());
        assertTrue(r.err().contains("early-exit after layer " + layer + " of 5, draft-max " + max + ","), r.err());
        assertTrue(r.err().contains("acceptance " + choice.group(1) + ", ") && r.err().contains(", " + choice.group(2) + " tokens per target step"), choice.group() + "\n" + r.err());
    }

    /**
     * On an OpenCL device (PoCL here): ngram, ngram-simple and early-exit verify on the device (every row's logits read
     * back); the early exit's draft step is a second device program on the target's KV cache buffers. Same text as plain.
     */
    @Test
    void openClDevice() {
        String repetitive = "the cat sat on the mat and the cat sat on the mat and the cat";
        for (String prompt : List.of("Once upon a time", repetitive)) {
            CliTest.Run plain = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", prompt, "-n", "48", "--temp", "0", "--device", "opencl:0");
            assertEquals(0, plain.exit(), plain.err());
            for (List<String> spec : List.of(List.of("--spec-type", "ngram", "--draft-max", "8"), List.of("--spec-type", "ngram-simple", "--spec-ngram-simple-size-n", "2"),
                    List.of("--spec-type", "early-exit", "--draft-layer", "4"))) {
                List<String> a = new java.util.ArrayList<>(List.of("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", prompt, "-n", "48", "--temp", "0",
                        "--device", "opencl:0", "--timings"));
                a.addAll(spec);
                CliTest.Run r = CliTest.ggufc(a.toArray(String[]::new));
                assertEquals(0, r.exit(), spec + ": " + r.err());
                assertEquals(plain.out(), r.out(), prompt + " " + spec);
                assertTrue(r.err().contains("timings: speculative"), r.err());
                if (prompt.equals(repetitive) && spec.contains("ngram")) assertTrue(!r.err().contains("accepted 0,"), "the repetitive prompt's n-grams get accepted: " + r.err());
                if (spec.contains("early-exit")) assertTrue(!r.err().contains("accepted 0,"), "drafts after 4 of 5 layers get accepted: " + r.err());
            }
        }
        CliTest.Run mtp = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", "Once", "-n", "4", "--temp", "0", "--device", "opencl:0",
                "--spec-type", "draft-mtp", "-md", Goldens.sharedModel("stories260K.gguf").toString());
        assertTrue(mtp.exit() != 0 && mtp.err().contains("on a GPU --device, ngram, ngram-simple and early-exit do"), mtp.err());
    }

    @Test
    void helpTellsTheOptions() {
        CliTest.Run r = CliTest.ggufc("run", "--help");
        for (String o : List.of("--spec-type", "--draft-max", "--spec-draft-n-max", "--draft-min", "--draft-p-min", "--draft-layer")) {
            assertTrue(r.out().contains(o), o);
        }
    }
}
