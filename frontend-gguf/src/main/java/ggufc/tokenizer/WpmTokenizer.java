package ggufc.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * WordPiece ({@code tokenizer.ggml.model = "bert"}), as llama.cpp's llm_tokenizer_wpm: BERT-style normalisation
 * (optional lowercasing, accent stripping through the first code point of each character's NFD form, dropping
 * control characters), splitting at whitespace, punctuation, ASCII symbols and CJK ideographs, then per word
 * (prefixed with U+2581) a greedy longest-match over the vocabulary; a word that cannot be covered becomes [UNK].
 */
final class WpmTokenizer extends LlamaTokenizer {

    WpmTokenizer(Vocab vocab) { super(vocab); }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial) out.add(requireSpecial(vocab.bos, "CLS/BOS"));
        for (Fragment frag : partition(text, parseSpecial)) {
            if (frag.isText()) tokenize(frag.text(), out);
            else out.add(frag.token());
        }
        if (addSpecial) out.add(requireSpecial(vocab.sep, "SEP"));
        return out.toArray();
    }

    @Override
    byte[] normalPiece(String tokenText) {
        return utf8(tokenText.replace(SpmTokenizer.ESCAPED_SPACE, ' '));
    }

    private void tokenize(String text, IntList out) {
        for (String word : preprocess(text)) {
            if (word.isEmpty()) continue;
            String w = SpmTokenizer.ESCAPED_SPACE + word;
            int before = out.size();
            int i = 0;
            boolean ok = true;
            while (i < w.length()) {
                // longest token starting at i (token texts are at most maxTokenLenBytes long)
                int found = Vocab.NULL, foundEnd = -1;
                int bytes = 0, j = i;
                int[] ends = new int[w.length() - i];
                int nEnds = 0;
                while (j < w.length()) {
                    int cp = w.codePointAt(j);
                    bytes += utf8Len(cp);
                    if (bytes > vocab.maxTokenLenBytes) break;
                    j += Character.charCount(cp);
                    ends[nEnds++] = j;
                }
                for (int k = nEnds - 1; k >= 0; k--) {
                    int id = vocab.tokenId(w.substring(i, ends[k]));
                    if (id != Vocab.NULL) {
                        found = id;
                        foundEnd = ends[k];
                        break;
                    }
                }
                if (found == Vocab.NULL) {
                    ok = false;
                    break;
                }
                out.add(found);
                i = foundEnd;
            }
            if (!ok) out.truncate(before);
            if (out.size() == before) out.add(vocab.unk);
        }
    }

    private static int utf8Len(int cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

    /** llm_tokenizer_wpm_session::preprocess. */
    List<String> preprocess(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        text.codePoints().forEach(c -> {
            int cpt = vocab.stripAccents ? Unicode.nfdFirst(c) : c;
            int f = Unicode.flags(cpt);
            if ((f & Unicode.WHITESPACE) != 0) {
                if (!cur.isEmpty()) {
                    words.add(cur.toString());
                    cur.setLength(0);
                }
                return;
            }
            if (cpt == 0 || cpt == 0xFFFD || (f & Unicode.CONTROL) != 0) return;
            if (vocab.stripAccents && (f & Unicode.ACCENT_MARK) != 0) return;
            int out = vocab.lowercase ? Unicode.toLower(cpt) : cpt;
            if ((f & Unicode.PUNCTUATION) != 0 || (cpt < 0x7F && (f & Unicode.SYMBOL) != 0) || isChineseChar(cpt)) {
                if (!cur.isEmpty()) {
                    words.add(cur.toString());
                    cur.setLength(0);
                }
                words.add(Character.toString(out));
            } else {
                cur.appendCodePoint(out);
            }
        });
        if (!cur.isEmpty()) words.add(cur.toString());
        return words;
    }

    /** llama.cpp's is_chinese_char (with its 0x2B920 quirk copied from Hugging Face). */
    static boolean isChineseChar(int cpt) {
        return (cpt >= 0x04E00 && cpt <= 0x09FFF)
                || (cpt >= 0x03400 && cpt <= 0x04DBF)
                || (cpt >= 0x20000 && cpt <= 0x2A6DF)
                || (cpt >= 0x2A700 && cpt <= 0x2B73F)
                || (cpt >= 0x2B740 && cpt <= 0x2B81F)
                || (cpt >= 0x2B920 && cpt <= 0x2CEAF)
                || (cpt >= 0x0F900 && cpt <= 0x0FAFF)
                || (cpt >= 0x2F800 && cpt <= 0x2FA1F);
    }
}
