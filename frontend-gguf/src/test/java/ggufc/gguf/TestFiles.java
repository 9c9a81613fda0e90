package ggufc.gguf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/** Locates the shared model files and the committed golden resources. */
final class TestFiles {
    private TestFiles() {}

    static final String STORIES_V3 = "stories260K.gguf";
    static final String STORIES_V1 = "tinyllamas-stories-260k-f32.gguf";
    static final String STORIES_Q8_V2 = "tinyllamas-stories-260k-q8_0.gguf";

    /** The models folder: system property {@code ggufc.models} (set by Surefire), else ../shared/models. */
    static Path modelsDir() {
        String p = System.getProperty("ggufc.models");
        if (p != null) return Path.of(p);
        Path rel = Path.of("../shared/models");
        return Files.isDirectory(rel) ? rel : Path.of("../../shared/models");
    }

    /** A model file; a missing file fails the test (never skips) and says where to get it. */
    static Path model(String name) {
        Path p = modelsDir().resolve(name);
        if (!Files.isRegularFile(p)) {
            fail("missing test model " + p.toAbsolutePath() + ": the shared models folder (system property ggufc.models, "
                    + "default ../shared/models) must hold " + name + "; see /work/shared/models/README.md for provenance "
                    + "(public GitHub history; sha256 listed there)");
        }
        return p;
    }

    static byte[] resource(String path) {
        try (InputStream in = TestFiles.class.getResourceAsStream("/" + path)) {
            if (in == null) fail("missing test resource " + path + " (regenerate with frontend-gguf/src/test/resources/quant-golden/regenerate.sh)");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    /** Tab-separated {@code key value...} lines, '#' comments ignored; value = rest of the line. */
    static Map<String, String> tsv(String path) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : new String(resource(path), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int tab = line.indexOf('\t');
            m.put(line.substring(0, tab), line.substring(tab + 1).strip());
        }
        return m;
    }

    static long fnv(long h, byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            h ^= b[i] & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    static final long FNV0 = 0xcbf29ce484222325L;

    static long fnvFloats(float[] f, int off, int n) {
        long h = FNV0;
        for (int i = off; i < off + n; i++) {
            int v = Float.floatToRawIntBits(f[i]);
            for (int k = 0; k < 4; k++) {
                h ^= (v >>> (8 * k)) & 0xff;
                h *= 0x100000001b3L;
            }
        }
        return h;
    }
}
