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

    @Option(names = "--vocab-test", paramLabel = "FILE.inp", description = "Read llama.cpp's test-vector input (cases separated by \\n__ggml_vocab_test__\\n) and print one line of ids per case, as in the .out files (no special tokens).")
    Path vocabTest;

    @Override
    public Integer call() throws IOException {
        try (GgufFile f = GgufFile.open(ModelLocator.resolve(model))) {
            Tokenizer tok = Tokenizer.fromGguf(f);
            StringBuilder out = new StringBuilder();
            if (vocabTest != null) {
                for (String c : vocabTestCases(Files.readString(vocabTest, StandardCharsets.UTF_8))) {
                    // the .out files write " id" per token: a leading space, and an empty line for no tokens
                    for (int id : tok.encode(c, false, parseSpecial)) out.append(' ').append(id);
                    out.append('\n');
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

    static List<String> vocabTestCases(String inp) {
        List<String> cases = new ArrayList<>(List.of(inp.split(java.util.regex.Pattern.quote(VOCAB_TEST_SEPARATOR), -1)));
        if (!cases.isEmpty() && cases.get(cases.size() - 1).isEmpty()) cases.remove(cases.size() - 1);
        return cases;
    }

    static String join(int[] ids) {
        return IntStream.of(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }
}
