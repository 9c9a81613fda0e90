package ggufc.cli;

import ggufc.gguf.GgufFile;
import ggufc.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Read text from stdin (exactly as given: use printf, not echo, to avoid a trailing newline) and print its token ids separated by spaces."})
final class TokenizeCommand implements Callable<Integer> {
    /** llama.cpp's test-vector case separator. */
    static final String VOCAB_TEST_SEPARATOR = "\n__ggml_vocab_test__\n";

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Model or vocab-only GGUF file.")
    String model;

    @Option(names = "--no-bos", description = "Add no special tokens (BOS/EOS), as llama.cpp's tokenizer test vectors are made.")
    boolean noBos;

    @Option(names = "--parse-special", description = "Recognise special-token texts such as <s> in the input.")
    boolean parseSpecial;

    @Option(names = "--vocab-test", paramLabel = "FILE.inp", description = "Read llama.cpp's test-vector input (cases separated by \\n__ggml_vocab_test__\\n) and print one line of ids per case, as in the .out files (no special tokens; each id after a space, or the ids joined by spaces when the FILE.out next to the input is laid out that way).")
    Path vocabTest;

    @Override
    public Integer call() throws IOException {
        try (GgufFile f = GgufFile.open(ModelLocator.resolve(model))) {
            Tokenizer tok = Tokenizer.fromGguf(f);
            StringBuilder out = new StringBuilder();
            if (vocabTest != null) {
                boolean joined = joinedOutLayout(vocabTest);
                for (String c : vocabTestCases(Files.readString(vocabTest, StandardCharsets.UTF_8))) {
                    int[] ids = tok.encode(c, false, parseSpecial);
                    if (joined) out.append(join(ids));
                    else for (int id : ids) out.append(' ').append(id);
                    out.append('\n'); // an empty line for no tokens, in both layouts
                }
            } else {
                String text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
                out.append(join(tok.encode(text, !noBos, parseSpecial))).append('\n');
            }
            System.out.print(out);
            System.out.flush();
        }
        return 0;
    }

    /**
     * Whether the .out file next to {@code inp} joins the ids with single spaces. llama.cpp's .out files come in two
     * layouts: convert_hf_to_gguf_update.py writes " id" per token (a leading space), while some (gemma-4, qwen35)
     * have the ids joined without one; llama.cpp's test strips the lines, so both read the same. Only the layout is
     * taken from that file, never ids. Without one, the update script's layout.
     */
    static boolean joinedOutLayout(Path inp) throws IOException {
        String name = inp.getFileName().toString();
        if (!name.endsWith(".inp")) return false;
        Path out = inp.resolveSibling(name.substring(0, name.length() - ".inp".length()) + ".out");
        if (!Files.isRegularFile(out)) return false;
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            if (!line.isEmpty()) return !line.startsWith(" ");
        }
        return false;
    }

    /** The cases of a .inp file, read as llama.cpp's test-tokenizer-0 does (the last separator may be missing). */
    static List<String> vocabTestCases(String inp) {
        List<String> cases = new ArrayList<>(List.of(inp.split(java.util.regex.Pattern.quote(VOCAB_TEST_SEPARATOR), -1)));
        if (!cases.isEmpty() && cases.get(cases.size() - 1).isEmpty()) cases.remove(cases.size() - 1);
        return cases;
    }

    static String join(int[] ids) {
        return IntStream.of(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }
}
