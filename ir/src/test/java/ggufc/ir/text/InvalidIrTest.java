package ggufc.ir.text;

import ggufc.ir.IrException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Verifier negative tests in the style of MLIR's {@code -split-input-file -verify-diagnostics}.
 *
 * <p>Every {@code src/test/resources/invalid/*.ir} file is split at lines {@code // -----} into
 * cases, each parsed on its own with the file's line numbers (the other lines are blanked). A
 * comment {@code // expected-error {{text}}} expects a problem containing {@code text} reported on
 * the comment's line; {@code expected-error @+N {{text}}} / {@code @-N} shift the line,
 * {@code @N} names it. A case passes when every expectation is met by a problem on its line and
 * every problem is expected; a case without expectations must parse.
 */
class InvalidIrTest {
    private static final Pattern EXPECTED = Pattern.compile("expected-error\\s*(?:@([+-]?)(\\d+))?\\s*\\{\\{(.*?)}}");
    private static final Pattern SPLIT = Pattern.compile("//\\s*-----\\s*");

    record Expectation(int line, String text) {}

    record Case(String file, int firstLine, String source, List<Expectation> expected) {
        @Override
        public String toString() { return file + ":" + firstLine; }
    }

    static Stream<Arguments> cases() throws IOException, URISyntaxException {
        Path dir = Path.of(InvalidIrTest.class.getResource("/invalid").toURI());
        List<Arguments> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".ir")).sorted().toList()) {
                List<Case> cs = split(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8));
                for (Case c : cs) all.add(Arguments.of(c));
            }
        }
        assertFalse(all.isEmpty(), "no cases under " + dir);
        return all.stream();
    }

    static List<Case> split(String file, String text) {
        List<String> lines = text.lines().toList();
        List<Case> cases = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= lines.size(); i++) {
            if (i == lines.size() || SPLIT.matcher(lines.get(i)).matches()) {
                StringBuilder src = new StringBuilder();
                List<Expectation> expected = new ArrayList<>();
                for (int j = 0; j < start; j++) src.append('\n');
                for (int j = start; j < i; j++) {
                    String line = lines.get(j);
                    src.append(line).append('\n');
                    Matcher m = EXPECTED.matcher(line);
                    while (m.find()) {
                        int at = j + 1;
                        if (m.group(2) != null) {
                            int n = Integer.parseInt(m.group(2));
                            at = switch (m.group(1)) {
                                case "+" -> at + n;
                                case "-" -> at - n;
                                default -> n;
                            };
                        }
                        expected.add(new Expectation(at, m.group(3)));
                    }
                }
                cases.add(new Case(file, start + 1, src.toString(), expected));
                start = i + 1;
            }
        }
        return cases;
    }

    private static final Pattern PROBLEM = Pattern.compile("(?s)(.*?):(\\d+):(\\d+): (.*)");

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reportsExactlyTheExpectedProblems(Case c) {
        List<Expectation> actual = new ArrayList<>();
        try {
            IrParser.parseAll(c.source(), c.file());
        } catch (IrException e) {
            for (String p : e.problems()) {
                Matcher m = PROBLEM.matcher(p);
                if (!m.matches() || !m.group(1).equals(c.file())) fail("problem without a location in " + c.file() + ": " + p);
                actual.add(new Expectation(Integer.parseInt(m.group(2)), m.group(4)));
            }
        }
        List<String> complaints = new ArrayList<>();
        List<Expectation> unmatched = new ArrayList<>(actual);
        for (Expectation want : c.expected()) {
            boolean found = false;
            for (Iterator<Expectation> it = unmatched.iterator(); it.hasNext(); ) {
                Expectation got = it.next();
                if (got.line() == want.line() && got.text().contains(want.text())) {
                    it.remove();
                    found = true;
                    break;
                }
            }
            if (!found) complaints.add("expected at line " + want.line() + ": {{" + want.text() + "}}");
        }
        for (Expectation got : unmatched) complaints.add("unexpected at line " + got.line() + ": " + got.text());
        if (!complaints.isEmpty()) {
            StringBuilder sb = new StringBuilder("case " + c + ":\n");
            for (String s : complaints) sb.append("  ").append(s).append('\n');
            sb.append("all problems reported:\n");
            for (Expectation got : actual) sb.append("  line ").append(got.line()).append(": ").append(got.text()).append('\n');
            fail(sb.toString());
        }
    }
}
