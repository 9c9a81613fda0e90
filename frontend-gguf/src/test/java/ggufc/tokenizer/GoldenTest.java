package ggufc.tokenizer;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Compares against golden output of the real llama.cpp (src/test/resources/tokenizer-golden, made by
 * regenerate.sh): for every vocabulary and every case of cases.inp (llama.cpp's 46 test strings plus our own
 * extra ones: special-token texts, Unicode categories, whitespace, code, numbers), the ids of
 * llama_tokenize(add_special=false, parse_special=false) and (true, true), llama_detokenize of both (and of the
 * second with remove_special / unparse_special), the concatenated token pieces (what the stream decoder must
 * produce), plus per vocabulary the special ids, end-of-generation set, token attributes and a hash of all pieces.
 */
class GoldenTest {

    /** Vocabularies in the shared models folder. */
    static final List<String> SHARED = List.of("llama-spm", "phi-3", "baichuan", "bert-bge", "gpt-2", "gpt-neox", "mpt",
            "falcon", "starcoder", "refact", "deepseek-coder", "deepseek-llm");
    /**
     * Vocabularies only llama.cpp's own models/ folder has (pre-tokenizers llama-bpe, qwen2, command-r, missing,
     * qwen35, and the gemma4 tokenizer model).
     */
    static final List<String> REFERENCE_ONLY = List.of("llama-bpe", "qwen2", "command-r", "aquila", "gemma-4", "qwen35");

    record Case(int index, String text, int[] enc, int[] encsp, byte[] dec, byte[] decsp, byte[] decrm, byte[] decun, byte[] cat) {}

    /** The header of a golden file: vocabulary facts. */
    static Map<String, String> header(String vocab) {
        Map<String, String> h = new HashMap<>();
        for (String line : TestFiles.resource(vocab + ".golden").lines().toList()) {
            if (line.startsWith("case ")) break;
            int sp = line.indexOf(' ');
            h.put(sp < 0 ? line : line.substring(0, sp), sp < 0 ? "" : line.substring(sp + 1));
        }
        return h;
    }

    static List<Case> golden(String vocab) {
        return parse(vocab, TestFiles.resource("cases.inp"), TestFiles.resource(vocab + ".golden"));
    }

    static List<Case> fuzzGolden(String vocab) {
        return parse(vocab, TestFiles.resource("fuzz-cases.inp"), TestFiles.gzResource(vocab + ".fuzz.golden.gz"));
    }

    private static List<Case> parse(String vocab, String inputFile, String goldenFile) {
        List<String> inputs = TestFiles.splitCases(inputFile);
        List<String> lines = goldenFile.lines().toList();
        List<Case> cases = new ArrayList<>();
        Map<String, String> cur = new HashMap<>();
        int index = -1;
        for (String line : lines) {
            int sp = line.indexOf(' ');
            String key = sp < 0 ? line : line.substring(0, sp);
            String val = sp < 0 ? "" : line.substring(sp + 1);
            if (index < 0 && !key.equals("case")) continue; // header
            if (key.equals("case")) {
                if (index >= 0) cases.add(toCase(index, inputs, cur));
                index = Integer.parseInt(val);
                cur.clear();
            } else {
                cur.put(key, val);
            }
        }
        if (index >= 0) cases.add(toCase(index, inputs, cur));
        assertEquals(inputs.size(), cases.size(), vocab + ": golden file and cases file differ in length; run regenerate.sh");
        return cases;
    }

    private static Case toCase(int index, List<String> inputs, Map<String, String> m) {
        return new Case(index, inputs.get(index), TestFiles.parseIds(m.get("enc")), TestFiles.parseIds(m.get("encsp")),
                TestFiles.unescape(m.get("dec")), TestFiles.unescape(m.get("decsp")), TestFiles.unescape(m.get("decrm")),
                TestFiles.unescape(m.get("decun")), TestFiles.unescape(m.get("cat")));
    }

    @TestFactory
    Stream<DynamicContainer> sharedVocabs() {
        return SHARED.stream().map(v -> checks(v, () -> TestFiles.sharedVocab(v)));
    }

    @TestFactory
    Stream<DynamicContainer> referenceOnlyVocabs() {
        return REFERENCE_ONLY.stream().map(v -> checks(v, () -> TestFiles.anyVocab(v)));
    }

    private static DynamicContainer checks(String vocab, java.util.function.Supplier<Path> gguf) {
        return DynamicContainer.dynamicContainer(vocab, Stream.of(
                DynamicTest.dynamicTest("vocabulary facts (special ids, EOG set, token attributes, all pieces)", () ->
                        vocabFacts(vocab, gguf.get())),
                caseChecks("llama.cpp's test strings + extra cases", vocab, gguf, memo(() -> golden(vocab))),
                caseChecks("200 seeded random strings (fuzz-cases.inp)", vocab, gguf, memo(() -> fuzzGolden(vocab)))));
    }

    private static <T> java.util.function.Supplier<T> memo(java.util.function.Supplier<T> s) {
        java.util.concurrent.atomic.AtomicReference<T> ref = new java.util.concurrent.atomic.AtomicReference<>();
        return () -> {
            T v = ref.get();
            if (v == null) {
                v = s.get();
                ref.set(v);
            }
            return v;
        };
    }

    private static DynamicContainer caseChecks(String title, String vocab, java.util.function.Supplier<Path> gguf,
                                               java.util.function.Supplier<List<Case>> golden) {
        return DynamicContainer.dynamicContainer(title, Stream.of(
                DynamicTest.dynamicTest("encode(add_special=false, parse_special=false)", () ->
                        compareIds(vocab, gguf.get(), golden, c -> c.enc(), (t, c) -> t.encode(c.text(), false, false))),
                DynamicTest.dynamicTest("encode(add_special=true, parse_special=true)", () ->
                        compareIds(vocab, gguf.get(), golden, c -> c.encsp(), (t, c) -> t.encode(c.text(), true, true))),
                DynamicTest.dynamicTest("decode(ids without special tokens)", () ->
                        compareText(vocab, gguf.get(), golden, Case::dec, (t, c) -> t.decode(c.enc()))),
                DynamicTest.dynamicTest("decode(ids with BOS/EOS and parsed special tokens)", () ->
                        compareText(vocab, gguf.get(), golden, Case::decsp, (t, c) -> t.decode(c.encsp()))),
                DynamicTest.dynamicTest("decode(ids with specials, removeSpecial=true, unparseSpecial=false)", () ->
                        compareText(vocab, gguf.get(), golden, Case::decrm, (t, c) -> t.decode(c.encsp(), true, false))),
                DynamicTest.dynamicTest("decode(ids with specials, removeSpecial=false, unparseSpecial=true)", () ->
                        compareText(vocab, gguf.get(), golden, Case::decun, (t, c) -> t.decode(c.encsp(), false, true))),
                DynamicTest.dynamicTest("stream decoder = concatenated pieces", () ->
                        compareText(vocab, gguf.get(), golden, Case::cat, (t, c) -> {
                            StreamDecoder d = t.streamDecoder();
                            StringBuilder sb = new StringBuilder();
                            for (int id : c.enc()) sb.append(d.push(id));
                            return sb.append(d.flush()).toString();
                        })),
                DynamicTest.dynamicTest("round trip where llama.cpp round-trips", () -> roundTrip(vocab, gguf.get(), golden))));
    }

    private static void compareIds(String vocab, Path gguf, java.util.function.Supplier<List<Case>> golden, Function<Case, int[]> want,
                                   java.util.function.BiFunction<Tokenizer, Case, int[]> got) {
        Tokenizer t = TestFiles.tokenizer(gguf);
        List<String> bad = new ArrayList<>();
        List<Case> cases = golden.get();
        for (Case c : cases) {
            int[] w = want.apply(c), g = got.apply(t, c);
            if (!Arrays.equals(w, g)) {
                bad.add("case " + c.index() + " " + TestFiles.show(c.text()) + "\n    llama.cpp " + Arrays.toString(w)
                        + "\n    ours      " + Arrays.toString(g));
            }
        }
        report(vocab, bad, cases.size());
    }

    private static void compareText(String vocab, Path gguf, java.util.function.Supplier<List<Case>> golden, Function<Case, byte[]> want,
                                    java.util.function.BiFunction<Tokenizer, Case, String> got) {
        Tokenizer t = TestFiles.tokenizer(gguf);
        List<String> bad = new ArrayList<>();
        List<Case> cases = golden.get();
        for (Case c : cases) {
            String w = new String(want.apply(c), StandardCharsets.UTF_8);
            String g = got.apply(t, c);
            if (!w.equals(g)) {
                bad.add("case " + c.index() + " " + TestFiles.show(c.text()) + "\n    llama.cpp " + TestFiles.show(w)
                        + "\n    ours      " + TestFiles.show(g));
            }
        }
        report(vocab, bad, cases.size());
    }

    private static void vocabFacts(String vocab, Path gguf) {
        Tokenizer t = TestFiles.tokenizer(gguf);
        Vocab v = ((LlamaTokenizer) t).vocab;
        Map<String, String> h = header(vocab);
        String ours = String.format("n=%d bos=%d eos=%d eot=%d sep=%d pad=%d add_bos=%d add_eos=%d", t.vocabSize(), t.bos(),
                t.eos(), v.eot, v.sep, v.pad, v.addBos ? 1 : 0, v.addEos ? 1 : 0);
        assertEquals(h.get("vocab"), ours, vocab + ": special ids / flags");
        StringBuilder eog = new StringBuilder();
        for (int id = 0; id < t.vocabSize(); id++) if (t.isEog(id)) eog.append(' ').append(id);
        assertEquals(h.get("eog"), eog.toString().trim(), vocab + ": end-of-generation tokens");
        StringBuilder attr = new StringBuilder();
        for (int id = 0; id < t.vocabSize(); id++) if (v.attr[id] != Vocab.ATTR_NORMAL) attr.append(' ').append(id).append(':').append(v.attr[id]);
        String wantAttr = h.get("attr");
        if (!wantAttr.equals(attr.toString().trim())) {
            List<String> w = List.of(wantAttr.split(" ")), g = List.of(attr.toString().trim().split(" "));
            List<String> missing = w.stream().filter(x -> !g.contains(x)).limit(10).toList();
            List<String> extra = g.stream().filter(x -> !w.contains(x)).limit(10).toList();
            fail(vocab + ": token attributes differ (id:attr); llama.cpp has " + missing + ", we have " + extra);
        }
        String[] fnv = h.get("pieces").split(" ");
        for (int special = 0; special < 2; special++) {
            long hash = 0xcbf29ce484222325L;
            for (int id = 0; id < t.vocabSize(); id++) {
                byte[] p = t.pieceBytes(id, special == 1);
                for (int i = 0; i <= p.length; i++) {
                    hash ^= i < p.length ? p[i] & 0xFF : 0xFF;
                    hash *= 0x100000001b3L;
                }
            }
            assertEquals(fnv[special], String.format("%016x", hash), vocab + ": hash of all token pieces (special=" + (special == 1) + ")");
        }
    }

    /** decode(encode(s)) == s for every case where llama.cpp's own detokenize gives the input back. */
    private static void roundTrip(String vocab, Path gguf, java.util.function.Supplier<List<Case>> golden) {
        Tokenizer t = TestFiles.tokenizer(gguf);
        List<String> bad = new ArrayList<>();
        int checked = 0;
        for (Case c : golden.get()) {
            if (!Arrays.equals(c.dec(), c.text().getBytes(StandardCharsets.UTF_8))) continue;
            checked++;
            String back = t.decode(t.encode(c.text(), false, false));
            if (!back.equals(c.text())) bad.add("case " + c.index() + " " + TestFiles.show(c.text()) + " -> " + TestFiles.show(back));
        }
        if (checked == 0 && !vocab.equals("bert-bge")) fail(vocab + ": llama.cpp round-trips none of the cases; the golden file looks wrong");
        report(vocab, bad, checked);
    }

    private static void report(String vocab, List<String> bad, int total) {
        if (!bad.isEmpty()) {
            fail(vocab + ": " + bad.size() + " of " + total + " cases differ from llama.cpp:\n"
                    + String.join("\n", bad.subList(0, Math.min(8, bad.size()))));
        }
    }
}
