package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An {@link OutOfMemoryError} (an Error, which picocli's exception handler never sees) is one line
 * on stderr and exit 1, not a stack trace: a real one, from a CLI process with a 32 MiB heap asked
 * to tokenize 48 MB of text.
 */
class OutOfMemoryCliTest {
    @Test
    void outOfMemoryIsOneLine() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-Xmx32m", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), "ggufc.cli.Main", "tokenize", "--model", Goldens.sharedModel("stories260K.gguf").toString()));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        byte[] chunk = "a".repeat(1 << 20).getBytes(StandardCharsets.US_ASCII);
        try (OutputStream in = p.getOutputStream()) {
            for (int i = 0; i < 48; i++) in.write(chunk);
        } catch (IOException closedEarly) {
            // the process may fail (and close its stdin) before it has read everything
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the CLI did not exit");
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n").strip();
        assertEquals(1, p.exitValue(), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("ggufc: out of memory (Java heap space; this JVM may use "), err);
    }
}
