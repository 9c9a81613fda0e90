package ggufc.tokenizer;

import ggufc.gguf.GgufFile;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.fail;

/** Where the test models are, and loading them (a missing file fails the test, never skips it). */
final class TestFiles {
    private TestFiles() {}

    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    private static final Map<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

    /** The shared models folder: system property ggufc.models (Surefire sets it), else ../shared/models. */
    static Path modelsDir() {
        String p = System.getProperty("ggufc.models");
        return p != null && !p.isBlank() ? Path.of(p) : Path.of("..", "shared", "models");
    }

    /** llama.cpp's own models/ folder of the reference install (vocab files the shared folder does not have). */
    static Path llamaModelsDir() {
        String p = System.getProperty("ggufc.llamaModels");
        if (p != null && !p.isBlank()) return Path.of(p);
        String deps = System.getenv("REF_DEPS");
        Path ref = deps != null && !deps.isBlank() ? Path.of(deps) : Path.of(System.getProperty("user.home"), ".cache", "llama-reference");
        return ref.resolve("llama.cpp").resolve("models");
    }

    static Path require(Path p, String howToGet) {
        if (!Files.isRegularFile(p)) fail("missing test file " + p.toAbsolutePath().normalize() + ": " + howToGet);
        return p;
    }

    /** A vocab file from the shared models folder: ggml-vocab-NAME.gguf (or NAME itself when it ends in .gguf). */
    static Path sharedVocab(String name) {
        return require(modelsDir().resolve("vocab").resolve("ggml-vocab-" + name + ".gguf"),
                "the vocab-only GGUFs come from llama.cpp's models/ folder; see /work/shared/models/README.md"
                        + " (set -Dggufc.models=DIR to point at another models folder)");
    }

    /** A vocab file that only llama.cpp's models/ folder has; the shared folder is checked first. */
    static Path anyVocab(String name) {
        Path shared = modelsDir().resolve("vocab").resolve("ggml-vocab-" + name + ".gguf");
        if (Files.isRegularFile(shared)) return shared;
        return require(llamaModelsDir().resolve("ggml-vocab-" + name + ".gguf"),
                "not in " + shared.getParent().toAbsolutePath().normalize() + " either; it ships in llama.cpp's models/ folder,"
                        + " which /work/shared/reference/install.sh unpacks into ~/.cache/llama-reference/llama.cpp/models"
                        + " (or set -Dggufc.llamaModels=DIR, or copy the file into the shared vocab folder)");
    }

    static Tokenizer tokenizer(Path gguf) {
        return CACHE.computeIfAbsent(gguf.toAbsolutePath().normalize().toString(), k -> {
            try (GgufFile f = GgufFile.open(gguf)) {
                return Tokenizer.fromGguf(f);
            }
        });
    }

    /**
     * Test strings in llama.cpp's .inp format: each case followed by the separator, except that the last one may
     * lack it (as in ggml-vocab-gemma-4.gguf.inp); read as llama.cpp's test-tokenizer-0 does.
     */
    static List<String> splitCases(String all) {
        List<String> cases = new ArrayList<>();
        int pos = 0;
        while (pos < all.length()) {
            int e = all.indexOf(SEPARATOR, pos);
            if (e < 0) {
                cases.add(all.substring(pos));
                break;
            }
            cases.add(all.substring(pos, e));
            pos = e + SEPARATOR.length();
        }
        return cases;
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String resource(String name) {
        try (InputStream in = TestFiles.class.getResourceAsStream("/tokenizer-golden/" + name)) {
            if (in == null) fail("missing test resource tokenizer-golden/" + name + " (regenerate with tokenizer-golden/regenerate.sh)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] parseIds(String line) {
        String s = line.trim();
        if (s.isEmpty()) return new int[0];
        String[] parts = s.split("\\s+");
        int[] r = new int[parts.length];
        for (int i = 0; i < parts.length; i++) r[i] = Integer.parseInt(parts[i]);
        return r;
    }

    /** Undoes golden_tool.cpp's escaping (\\xHH for single bytes, everything else UTF-8) into bytes. */
    static byte[] unescape(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); ) {
            if (s.charAt(i) == '\\' && i + 3 < s.length() && s.charAt(i + 1) == 'x') {
                out.write(Integer.parseInt(s.substring(i + 2, i + 4), 16));
                i += 4;
            } else {
                int cp = s.codePointAt(i);
                out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return out.toByteArray();
    }

    /** A gzipped test resource. */
    static String gzResource(String name) {
        try (InputStream in = TestFiles.class.getResourceAsStream("/tokenizer-golden/" + name)) {
            if (in == null) fail("missing test resource tokenizer-golden/" + name + " (regenerate with tokenizer-golden/regenerate.sh)");
            return new String(new java.util.zip.GZIPInputStream(in).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Printable form of a string for failure messages. */
    static String show(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\n') sb.append("\\n");
            else if (cp == '\r') sb.append("\\r");
            else if (cp == '\t') sb.append("\\t");
            else if (cp == '"') sb.append("\\\"");
            else if (cp < 0x20 || cp == 0x7F || Character.getType(cp) == Character.FORMAT || Character.isWhitespace(cp) && cp != ' ')
                sb.append(String.format("\\u{%X}", cp));
            else sb.appendCodePoint(cp);
        }
        return sb.append('"').toString();
    }
}
