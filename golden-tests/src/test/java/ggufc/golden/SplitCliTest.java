package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Split runs print llama.cpp's unsplit greedy text (the README's 32 tokens of stories260K, made by generate.sh on one
 * device), in every mode: on CPU sub-devices (the vector kernels, each sub-device on its own thread), on PoCL's OpenCL
 * sub-devices (each its own context and kernels, collectives through the host), and from a compiled artifact.
 */
class SplitCliTest {
    static String model() { return Goldens.sharedModel("stories260K.gguf").toString(); }

    static CliTest.Run run(String... extra) {
        List<String> a = new ArrayList<>(List.of("run", "--model", model(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0"));
        a.addAll(List.of(extra));
        return CliTest.ggufc(a.toArray(String[]::new));
    }

    /** The issue's own command. */
    @Test
    void graphSplitOverTwoCpuSubDevicesPrintsTheUnsplitText() throws IOException {
        CliTest.Run r = run("--split-mode", "graph", "--device", "cpu:0,cpu:1");
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
        assertTrue(r.err().contains("split graph over cpu:0,cpu:1"), r.err());
    }

    @ParameterizedTest(name = "-sm {0} --device {1} -ts {2} --backend {3}")
    @CsvSource({
            "layer, 'cpu:0,cpu:1', '', vector", "row, 'cpu:0,cpu:1', '', vector", "tensor, 'cpu:0,cpu:1', '', vector", "auto, 'cpu:0,cpu:1', '', vector",
            "layer, 'cpu:0,cpu:1,cpu:2', '1,2,1', vector", "row, 'cpu:0,cpu:1,cpu:2', '1,2,1', vector",
            "tensor, 'cpu:0,cpu:1,cpu:2', '1,2,1', vector", "graph, 'cpu:0,cpu:1,cpu:2', '1,2,1', vector",
            "graph, 'cpu:0,cpu:1,cpu:2,cpu:3', '3,1,1,1', vector", "tensor, 'cpu:0,cpu:1', '3,1', interpreter", "row, 'cpu:0,cpu:1', '', interpreter"})
    void everyModeOnCpuSubDevicesPrintsTheUnsplitText(String mode, String devices, String ts, String backend) throws IOException {
        List<String> a = new ArrayList<>(List.of("-sm", mode, "--device", devices, "--backend", backend));
        if (!ts.isEmpty()) a.addAll(List.of("-ts", ts));
        CliTest.Run r = run(a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
    }

    /** Layer split pipelines a prompt in micro-batches through the devices: the text is the unsplit one. */
    @ParameterizedTest(name = "pipelined layer split over {0} -ts {1}")
    @CsvSource({"'cpu:0,cpu:1', '3,1'", "'cpu:0,cpu:1,cpu:2', '1,2,1'", "'cpu:0,cpu:1,cpu:2,cpu:3', ''"})
    void pipelinedLayerSplitGivesTheUnsplitText(String devices, String ts) {
        String prompt = "Once upon a time, in a land far away, there lived a little dog who loved to run in the big green park";
        List<String> a = new ArrayList<>(List.of("run", "--model", model(), "--prompt", prompt, "-n", "24", "--temp", "0", "-sm", "layer", "--device", devices));
        if (!ts.isEmpty()) a.addAll(List.of("-ts", ts));
        CliTest.Run split = CliTest.ggufc(a.toArray(String[]::new));
        CliTest.Run whole = CliTest.ggufc("run", "--model", model(), "--prompt", prompt, "-n", "24", "--temp", "0");
        assertEquals(0, split.exit(), split.err());
        assertEquals(whole.out(), split.out());
    }

    @ParameterizedTest(name = "-sm {0} over PoCL sub-devices")
    @ValueSource(strings = {"layer", "row", "tensor", "graph"})
    void everyModeOnPoclSubDevicesPrintsTheUnsplitText(String mode) throws IOException {
        CliTest.Run r = run("-sm", mode, "--device", "opencl:0.0,opencl:0.1");
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
        assertTrue(r.err().contains("opencl:0.1 ("), r.err());
    }

    @ParameterizedTest(name = "artifact compiled with -sm {0}")
    @ValueSource(strings = {"layer", "tensor", "graph"})
    void splitArtifactPrintsTheUnsplitText(String mode, @TempDir Path dir) throws IOException {
        Path out = dir.resolve("a");
        CliTest.Run c = CliTest.ggufc("compile", "--model", model(), "-o", out.toString(), "-sm", mode, "--device", "cpu:0,cpu:1", "--no-jvm-cache");
        assertEquals(0, c.exit(), c.err());
        CliTest.Run r = CliTest.ggufc("run", "--artifact", out.toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "-sm tensor --device cpu                       | needs at least 2 devices",
            "-sm graph --device cpu:0,cpu:1 -ts 1,2,3      | --tensor-split has 3 proportions for 2 devices",
            "-sm graph --device cpu:0,cpu:1 -mg 2          | --main-gpu 2 is not one of the 2 devices",
            "-sm graph --device cpu:0,cpu:1 --reduce-type f8 | --reduce-type must be one of",
            "-sm graph --device cpu:0,cpu:1 -ts 0,0        | must not all be 0",
            "-sm diagonal --device cpu:0,cpu:1             | --split-mode must be one of",
            "-sm graph --device opencl:0.0,opencl:0.1,opencl:0.2 | cannot be cut into 3 sub-devices",
            "-sm graph --device cpu:0,gpu:1                | 'gpu:1' is not a device",
            "-sm graph --device cpu:0,opencl:0.1           | not a mix of both",
            "-sm graph --device cpu:0,cpu:0                | --device names cpu:0 twice",
            "-sm graph --device cpu:0,cpu:1 -ts nan,1      | --tensor-split must be numbers"})
    void impossibleSplitsAreOneLine(String args, String message) {
        CliTest.Run r = run(args.trim().split("\\s+"));
        assertEquals(1, r.exit(), r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains(message), err);
    }
}
