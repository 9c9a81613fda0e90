package ggufc.golden;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the llama.cpp goldens written by golden-tests/regenerate.sh. */
final class Goldens {
    private Goldens() {}

    static Path root() {
        Path p = Path.of("src/test/resources/golden");
        if (!Files.isDirectory(p)) p = Path.of("golden-tests/src/test/resources/golden");
        if (!Files.isDirectory(p)) throw new IllegalStateException("golden folder not found from " + Path.of("").toAbsolutePath());
        return p;
    }

    /** The real model files (../shared/models); a missing file fails the test with where to get it. */
    static Path sharedModel(String name) {
        String dir = System.getProperty("ggufc.models", System.getenv().getOrDefault("GGUFC_MODELS", "../../shared/models"));
        Path p = Path.of(dir).resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new AssertionError(name + " not found in " + Path.of(dir).toAbsolutePath()
                    + ": the test models live in ../shared/models (set -Dggufc.models or $GGUFC_MODELS)");
        }
        return p;
    }

    static List<String> prompts() {
        try {
            return Files.readAllLines(root().resolve("prompts.txt"), StandardCharsets.UTF_8).stream().filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** refllama's .bin: tokens and full-vocab logits for every prompt position. */
    record Logits(int[] tokens, int vocab, int[] rowPositions, float[][] rows) {
        static Logits read(Path p) {
            try {
                ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
                byte[] magic = new byte[4];
                b.get(magic);
                if (!new String(magic, StandardCharsets.US_ASCII).equals("RLGT")) throw new IllegalStateException(p + ": not an RLGT file");
                b.getInt();
                int nTokens = b.getInt(), nVocab = b.getInt(), nRows = b.getInt();
                b.getInt();
                int[] tokens = new int[nTokens];
                for (int i = 0; i < nTokens; i++) tokens[i] = b.getInt();
                int[] pos = new int[nRows];
                for (int i = 0; i < nRows; i++) pos[i] = b.getInt();
                float[][] rows = new float[nRows][nVocab];
                for (float[] r : rows) for (int j = 0; j < nVocab; j++) r[j] = b.getFloat();
                return new Logits(tokens, nVocab, pos, rows);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** refllama's greedy JSON: prompt ids, generated ids, text. */
    record Greedy(int[] promptIds, int[] genIds, String text) {
        static Greedy read(Path p) {
            try {
                // the text may hold bytes that are not UTF-8 (byte tokens); only the ids are read
                String s = new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
                return new Greedy(ints(s, "prompt_ids"), ints(s, "gen_ids"), null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static int[] ints(String json, String key) {
            Matcher m = Pattern.compile("\"" + key + "\":\\[([0-9,]*)]").matcher(json);
            if (!m.find()) throw new IllegalStateException("no " + key + " in golden json");
            return m.group(1).isEmpty() ? new int[0] : Arrays.stream(m.group(1).split(",")).mapToInt(Integer::parseInt).toArray();
        }
    }
}
