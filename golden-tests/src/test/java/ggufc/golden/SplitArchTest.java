package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.gguf.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every synthetic architecture split on the vector kernels over CPU sub-devices gives its unsplit greedy text: the
 * placed plans of MoE, soft-capping, per-layer embeddings, shared KV (whose caches a device reads through a replica fed
 * with the new rows) and fused QKV run as the unsplit ones do. (SplitMeaningTest checks the logits on the interpreter.)
 */
class SplitArchTest {
    static final String PROMPT = "Once upon a time, in a land far away";

    static Stream<Arguments> cases() {
        List<Arguments> r = new ArrayList<>();
        for (String a : ArchModels.ARCHITECTURES) {
            for (String mode : List.of("layer", "row", "tensor", "graph")) r.add(Arguments.of(a, mode, "cpu:0,cpu:1"));
            for (String mode : List.of("layer", "tensor")) r.add(Arguments.of(a, mode, "cpu:0,cpu:1,cpu:2"));
        }
        return r.stream();
    }

    @ParameterizedTest(name = "{0} -sm {1} --device {2}")
    @MethodSource("cases")
    void splitRunGivesTheUnsplitText(String arch, String mode, String devices) {
        String model = ArchModels.file(arch, GgmlType.F32).toString();
        CliTest.Run whole = CliTest.ggufc("run", "--model", model, "--prompt", PROMPT, "-n", "24", "--temp", "0");
        CliTest.Run split = CliTest.ggufc("run", "--model", model, "--prompt", PROMPT, "-n", "24", "--temp", "0", "-sm", mode, "--device", devices);
        assertEquals(0, whole.exit(), whole.err());
        assertEquals(0, split.exit(), split.err());
        assertEquals(whole.out(), split.out());
    }
}
