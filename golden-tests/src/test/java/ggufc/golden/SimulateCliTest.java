package ggufc.golden;

import static ggufc.golden.CliTest.ggufc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ggufc synth --header-only and ggufc simulate end to end, in process. */
class SimulateCliTest {
    @TempDir
    Path tmp;

    Path header(String preset, String type) throws Exception {
        Path f = tmp.resolve(preset + "-" + type + ".gguf");
        CliTest.Run r = ggufc("synth", "--header-only", "--preset", preset, "--type", type, "-o", f.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.size(f) < 8 << 20, "a header of " + Files.size(f) + " bytes");
        return f;
    }

    /** The JSON has an object per mode with the rates, the time split and the all-reduce count taken from the placed graph. */
    @Test
    void jsonHasAnObjectPerModeFromThePlacedGraphs() throws Exception {
        Path m = header("llama-3.2-1b", "F16");
        CliTest.Run r = ggufc("simulate", "--model", m.toString(), "--devices", "4xrtx4090", "--pp", "512", "--tg", "128", "--json");
        assertEquals(0, r.exit(), r.err());
        System.out.println(r.out());
        String[] lines = r.out().strip().lines().filter(l -> l.contains("\"mode\"")).toArray(String[]::new);
        assertEquals(5, lines.length, r.out());
        for (String mode : new String[] {"none", "layer", "row", "tensor", "graph"}) {
            String l = java.util.Arrays.stream(lines).filter(x -> x.contains("\"mode\": \"" + mode + "\"")).findFirst().orElseThrow();
            assertTrue(l.matches(".*\"prompt_tps\": [0-9.]+, \"decode_tps\": [0-9.]+, \"prompt_time\": \\{\"compute\": [^}]+, \"memory\": [^}]+, \"communication\": [^}]+}, \"decode_time\": \\{[^}]+}, \"all_reduces_per_decode_step\": \\d+.*"), l);
        }
        // tensor mode: 2 all-reduces per layer of the 16, counted on the graph split-tensor placed
        assertTrue(r.out().contains("\"mode\": \"tensor\"") && r.out().lines().anyMatch(l -> l.contains("\"mode\": \"tensor\"") && l.contains("\"all_reduces_per_decode_step\": 32") && l.contains("placed graph")), r.out());
    }

    /** The compute efficiency was fitted once to PR #19378's llama 1B F16 4x RTX 4090 -sm layer pp512 (44,766 t/s). */
    @Test
    void calibrationRowIsReproduced() throws Exception {
        Path m = header("llama-3.2-1b", "F16");
        CliTest.Run r = ggufc("simulate", "--model", m.toString(), "--devices", "4xrtx4090", "-sm", "layer", "--pp", "512", "--tg", "128", "--json");
        assertEquals(0, r.exit(), r.err());
        double pp = Double.parseDouble(r.out().replaceAll("(?s).*\"prompt_tps\": ([0-9.]+).*", "$1"));
        assertEquals(44766.52, pp, 44766.52 * 0.01, r.out());
    }

    @Test
    void unknownDeviceOrLinkAndImpossibleSplitsAreOneLine() throws Exception {
        Path m = header("llama-3.2-1b", "Q8_0");
        CliTest.Run r = ggufc("simulate", "--model", m.toString(), "--devices", "2xrtx9999");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("ggufc: unknown device 'rtx9999' (known: rtx3090, rtx4090, "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = ggufc("simulate", "--model", m.toString(), "--devices", "2xrtx4090", "--link", "carrier-pigeon");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("unknown link 'carrier-pigeon' (known: pcie4-nop2p, pcie4, "), r.err());
        Path big = header("llama-3-70b", "F16");
        r = ggufc("simulate", "--model", big.toString(), "--devices", "1xrtx4090", "-sm", "none");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("-sm none on 1xrtx4090: does not fit: 141.1 GB of weights on device 0 (rtx4090, 24 GB)"), r.err());
        r = ggufc("simulate", "--model", m.toString(), "--devices", "2xrtx4090", "-sm", "layer", "--tensor-split", "1,2,3");
        assertEquals(1, r.exit());
        assertEquals("ggufc: -sm layer on 2xrtx4090: split refused: --tensor-split has 3 proportions for 2 devices", r.err().strip());
    }

    @Test
    void runRefusesAHeaderOnlyFileInOneLine() throws Exception {
        Path m = header("qwen3-8b", "Q4_0");
        CliTest.Run r = ggufc("run", "--model", m.toString(), "--prompt", "hi", "-n", "1");
        assertEquals(1, r.exit());
        assertEquals("ggufc: qwen3-8b-Q4_0.gguf: header-only GGUF (no tensor data): use it with ggufc simulate or ggufc ir", r.err().strip());
    }
}
