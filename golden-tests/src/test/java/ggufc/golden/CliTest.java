package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end, in process: the README's main command and its error behaviour. */
class CliTest {
    record Run(int exit, String out, String err) {}

    static synchronized Run ggufc(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static String readmeGreedy() throws IOException {
        return Files.readString(Goldens.root().resolve("stories260K/readme-greedy-32.txt"), StandardCharsets.UTF_8);
    }

    @Test
    void greedyRunPrintsLlamaCppText() throws IOException {
        Run r = ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(readmeGreedy(), r.out());
    }

    @Test
    void greedyRunOnGgufV1PrintsTheSameText() throws IOException {
        Run r = ggufc("run", "--model", Goldens.sharedModel("tinyllamas-stories-260k-f32.gguf").toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(readmeGreedy(), r.out());
    }

    @Test
    void timingsLineEndsStderr() {
        Run r = ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", "Hello", "-n", "4", "--temp", "0", "--timings");
        assertEquals(0, r.exit(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.matches("timings: load \\d+ ms, prompt \\d+ tok [0-9.]+ tok/s, decode 3 tok [0-9.]+ tok/s"), last);
    }

    @Test
    void tokenizePrintsLlamaCppIds() {
        PrintStream oldIn = null;
        var in = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("Once upon a time".getBytes(StandardCharsets.UTF_8)));
            Run r = ggufc("tokenize", "--model", Goldens.sharedModel("stories260K.gguf").toString());
            assertEquals(0, r.exit(), r.err());
            assertEquals("1 403 407 261 378\n", r.out());
        } finally {
            System.setIn(in);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "bert-bge"})
    void vocabTestModePrintsLlamaCppOutFiles(String vocab) throws IOException {
        Path gguf = Goldens.sharedModel("vocab/ggml-vocab-" + vocab + ".gguf");
        Run r = ggufc("tokenize", "--model", gguf.toString(), "--vocab-test", gguf + ".inp");
        assertEquals(0, r.exit(), r.err());
        assertEquals(Files.readString(Path.of(gguf + ".out"), StandardCharsets.UTF_8), r.out());
    }

    /** Main registers only the subcommand named on the command line: each still parses as itself, and help lists all. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"run", "compile", "devices", "bench", "tokenize", "perplexity", "ir", "synth", "pull", "fuzz"})
    void everySubcommandAnswersItsOwnHelp(String name) {
        Run r = ggufc(name, "--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: ggufc " + name + " "), r.out());
        Run all = ggufc("--help");
        assertEquals(0, all.exit(), all.err());
        assertTrue(all.out().contains("\n  " + name + " "), name + " listed:\n" + all.out());
        Run help = ggufc("help", name);
        assertEquals(0, help.exit(), help.err());
        assertEquals(r.out(), help.out());
    }

    @Test
    void hiddenBenchWorkerIsStillACommand() {
        Run r = ggufc("bench-worker");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("Usage: ggufc bench-worker"), r.err());
        assertTrue(!ggufc("--help").out().contains("bench-worker"), "hidden from help");
    }

    @Test
    void misspelledSubcommandIsCaught() {
        Run r = ggufc("rnu", "--model", "x");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("rnu"), r.err());
    }

    @Test
    void missingModelSaysHowToGetIt() {
        Run r = ggufc("run", "--model", "/nonexistent/stories260K.gguf", "--prompt", "x", "-n", "1");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("stories260K.gguf: model file not found") && r.err().contains("ggufc pull stories260K"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void badInputGivesOneClearLine(@TempDir Path dir) throws IOException {
        byte[] good = Files.readAllBytes(Goldens.sharedModel("stories260K.gguf"));
        Path truncated = dir.resolve("truncated.gguf");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 2));
        Path magic = dir.resolve("magic.gguf");
        byte[] m = good.clone();
        m[0] = 'X';
        Files.write(magic, m);
        Path arch = dir.resolve("arch.gguf");
        Files.write(arch, new String(good, StandardCharsets.ISO_8859_1).replace("general.architecture\u0008\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000llama",
                "general.architecture\u0008\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000zzzzz").getBytes(StandardCharsets.ISO_8859_1));
        for (var c : java.util.List.of(new String[] {"truncated.gguf", "past the end"}, new String[] {"magic.gguf", "not a GGUF file"},
                new String[] {"arch.gguf", "architecture 'zzzzz'"})) {
            Run r = ggufc("run", "--model", dir.resolve(c[0]).toString(), "--prompt", "x", "-n", "1");
            assertNotEquals(0, r.exit(), c[0]);
            assertEquals(1, r.err().strip().lines().count(), c[0] + ": " + r.err());
            assertTrue(r.err().startsWith("ggufc: " + c[0] + ": ") && r.err().contains(c[1]), c[0] + ": " + r.err());
        }
    }
}
