package ggufc.lift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.Verifier;
import ggufc.ir.text.IrParser;
import ggufc.ir.text.IrPrinter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Lifted real models verify, and their printed IR parses back to the same graph. */
class LiftedModelRoundTripTest {
    static Path model(String name) {
        Path p = Path.of(System.getProperty("ggufc.models", "../../shared/models")).resolve(name);
        assertTrue(Files.isRegularFile(p), name + " missing: the test models live in ../shared/models (-Dggufc.models)");
        return p;
    }

    @ParameterizedTest
    @CsvSource({"stories260K.gguf, true", "stories260K.gguf, false", "tinyllamas-stories-260k-f32.gguf, false", "tinyllamas-stories-260k-q8_0.gguf, false"})
    void printParsePrintIsStable(String file, boolean allLogits) {
        try (GgufFile f = GgufFile.open(model(file))) {
            Graph g = LlamaLifter.lift(f, new LlamaLifter.Options(512, allLogits, DType.F32));
            assertTrue(Verifier.check(g).isEmpty());
            String text = IrPrinter.print(g);
            Graph back = IrParser.parse(text, file + ".ir");
            assertTrue(g.structurallyEquals(back), "parse(print(g)) differs from g for " + file);
            assertEquals(text, IrPrinter.print(back));
            // every weight of the file is declared once with its file dtype (flat-block tensors as f32)
            assertEquals(f.tensors().size(), g.params().size());
        }
    }
}
