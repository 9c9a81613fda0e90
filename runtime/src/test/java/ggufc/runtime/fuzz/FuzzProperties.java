package ggufc.runtime.fuzz;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The CI's share of the fuzz campaign ({@code ggufc fuzz}, {@code bench/fuzz.sh}): a mutated GGUF
 * file, drawn from a seed, through the reader, the tokenizer, the lifter, the vector passes and
 * lowering, and a prompt plus decode step, either runs or is refused in one line naming the file;
 * never a crash (an unexpected exception or Error), a hang (over 2 s) or a refusal that does not
 * say which file. A failing seed is printed by jqwik and replays the same mutation.
 */
class FuzzProperties {
    static final Path MODELS = Path.of(System.getProperty("ggufc.models", "../../shared/models"));

    static final FuzzCampaign CAMPAIGN = new FuzzCampaign(new FuzzCampaign.Options(0, 0, 0, 2000, 32,
            List.of(MODELS.resolve("stories260K.gguf"), MODELS.resolve("tinyllamas-stories-260k-f32.gguf"), MODELS.resolve("tinyllamas-stories-260k-q8_0.gguf"),
                    MODELS.resolve("vocab/ggml-vocab-gpt-2.gguf"), MODELS.resolve("vocab/ggml-vocab-bert-bge.gguf")), null, null));

    @AfterContainer
    static void stop() { CAMPAIGN.close(); }

    @Property(tries = 2000)
    void mutatedFilesRunOrAreRefusedNamingTheFile(@ForAll long seed) {
        assertNull(CAMPAIGN.oneCase(seed));
    }
}
