package ggufc.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the three tokenizer kinds share, following llama.cpp's {@code llama_vocab::impl}: splitting out special
 * tokens before tokenizing ({@code tokenizer_st_partition}), token pieces ({@code token_to_piece}), detokenizing
 * and streaming.
 */
abstract sealed class LlamaTokenizer implements Tokenizer permits SpmTokenizer, BpeTokenizer, WpmTokenizer {
    private static final byte[] EMPTY = new byte[0];

    final Vocab vocab;
    private final byte[][] pieces;        // special = false, filled lazily
    private final byte[][] specialPieces; // special = true, filled lazily

    private final SpecialTrie specialTrie;

    LlamaTokenizer(Vocab vocab) {
        this.vocab = vocab;
        this.pieces = new byte[vocab.size()][];
        this.specialPieces = new byte[vocab.size()][];
        this.specialTrie = new SpecialTrie();
        for (int id : vocab.specialTokens) specialTrie.add(vocab.text[id], id);
    }

    /** Finds which special tokens occur in a text in one pass, so partition only searches for those. */
    private static final class SpecialTrie {
        private final java.util.HashMap<Character, SpecialTrie> children = new java.util.HashMap<>();
        private int token = Vocab.NULL;

        void add(String s, int id) {
            SpecialTrie n = this;
            for (int i = 0; i < s.length(); i++) n = n.children.computeIfAbsent(s.charAt(i), c -> new SpecialTrie());
            n.token = id;
        }

        java.util.BitSet occurring(String text) {
            java.util.BitSet found = new java.util.BitSet();
            for (int i = 0; i < text.length(); i++) {
                SpecialTrie n = children.get(text.charAt(i));
                for (int j = i + 1; n != null; j++) {
                    if (n.token != Vocab.NULL) found.set(n.token);
                    if (j == text.length()) break;
                    n = n.children.get(text.charAt(j));
                }
            }
            return found;
        }
    }

    /** A piece of input: either a token already decided (a special token) or raw text still to tokenize. */
    record Fragment(int token, String text) {
        static Fragment token(int id) { return new Fragment(id, null); }
        static Fragment text(String s) { return new Fragment(Vocab.NULL, s); }
        boolean isText() { return text != null; }
    }

    /**
     * Splits {@code text} at occurrences of special-token texts, longest tokens first, as llama.cpp's
     * tokenizer_st_partition. Control and unknown tokens are only recognised when {@code parseSpecial}; user-defined
     * tokens always are. Tokens with the LSTRIP / RSTRIP attribute eat the ASCII whitespace before / after them.
     */
    final List<Fragment> partition(String text, boolean parseSpecial) {
        text = replaceLoneSurrogates(text);
        List<Fragment> buffer = new ArrayList<>();
        if (text.isEmpty()) return buffer;
        buffer.add(Fragment.text(text));
        java.util.BitSet occurring = specialTrie.occurring(text); // fragments are substrings of text
        for (int id : vocab.specialTokens) {
            if (!occurring.get(id)) continue;
            int a = vocab.attr[id];
            if (!parseSpecial && (a & (Vocab.ATTR_CONTROL | Vocab.ATTR_UNKNOWN)) != 0) continue;
            String st = vocab.text[id];
            List<Fragment> out = new ArrayList<>(buffer.size() + 4);
            for (Fragment frag : buffer) {
                if (!frag.isText()) {
                    out.add(frag);
                    continue;
                }
                String s = frag.text();
                int pos = 0;
                while (pos < s.length()) {
                    int m = s.indexOf(st, pos);
                    if (m < 0) break;
                    if (m > pos) {
                        int leftEnd = m;
                        if ((a & Vocab.ATTR_LSTRIP) != 0) while (leftEnd > pos && isCSpace(s.charAt(leftEnd - 1))) leftEnd--;
                        if (leftEnd > pos) out.add(Fragment.text(s.substring(pos, leftEnd)));
                    }
                    out.add(Fragment.token(id));
                    int r = m + st.length();
                    if ((a & Vocab.ATTR_RSTRIP) != 0) while (r < s.length() && isCSpace(s.charAt(r))) r++;
                    pos = r;
                }
                if (pos < s.length()) out.add(pos == 0 ? frag : Fragment.text(s.substring(pos)));
            }
            buffer = out;
        }
        return buffer;
    }

    /**
     * llama.cpp takes UTF-8; a Java string with an unpaired surrogate has no UTF-8 form, so such a char becomes
     * U+FFFD (what llama.cpp's UTF-8 decoder makes of invalid input).
     */
    static String replaceLoneSurrogates(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lone = Character.isHighSurrogate(c)
                    ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
            if (lone) {
                if (sb == null) sb = new StringBuilder(s);
                sb.setCharAt(i, '\uFFFD');
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** C's isspace in the "C" locale. */
    static boolean isCSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    final int requireSpecial(int id, String what) {
        if (id == Vocab.NULL) throw new IllegalStateException("the vocabulary has no " + what + " token to add");
        return id;
    }

    // ---- pieces and decoding -----------------------------------------------------------------------------

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (vocab.size() - 1) + ")");
        }
    }

    @Override
    public final byte[] pieceBytes(int id, boolean special) {
        return piece0(id, special).clone();
    }

    final byte[] piece0(int id, boolean special) {
        checkId(id);
        byte[][] cache = special ? specialPieces : pieces;
        byte[] p = cache[id];
        if (p == null) {
            p = computePiece(id, special);
            cache[id] = p; // benign race: always the same value
        }
        return p;
    }

    private byte[] computePiece(int id, boolean special) {
        int a = vocab.attr[id];
        String t = vocab.text[id];
        if (!special && (a & (Vocab.ATTR_UNKNOWN | Vocab.ATTR_CONTROL)) != 0) return EMPTY;
        if ((a & (Vocab.ATTR_UNKNOWN | Vocab.ATTR_CONTROL | Vocab.ATTR_USER_DEFINED)) != 0) return utf8(t);
        if ((a & Vocab.ATTR_NORMAL) != 0) return normalPiece(t);
        if ((a & Vocab.ATTR_BYTE) != 0) return new byte[] {(byte) hexByte(t)};
        return EMPTY; // unused / undefined tokens render as nothing
    }

    /** The piece of a normal token. */
    abstract byte[] normalPiece(String tokenText);

    /** strtol(text.substr(3, 2), 16) as llama.cpp's token_to_byte: "<0x0A>" -> 10. */
    private static int hexByte(String t) {
        int v = 0;
        for (int i = 3; i < Math.min(5, t.length()); i++) {
            int d = Character.digit(t.charAt(i), 16);
            if (d < 0) break;
            v = v * 16 + d;
        }
        return v;
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Override
    public final String decode(int[] ids) { return decode(ids, false, false); }

    @Override
    public final String decode(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        return new String(detokenize(ids, removeSpecial, unparseSpecial), StandardCharsets.UTF_8);
    }

    /** llama_detokenize, as bytes. */
    final byte[] detokenize(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        int start = 0, end = ids.length;
        boolean removeSpace = vocab.addSpacePrefix;
        if (removeSpecial && vocab.addBos && end > 0 && ids[0] == vocab.bos) {
            removeSpace = false;
            start++;
        }
        if (removeSpecial && vocab.addEos && end > start && ids[end - 1] == vocab.eos) end--;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = start; i < end; i++) {
            byte[] p = piece0(ids[i], unparseSpecial);
            int skip = removeSpace && p.length > 0 && p[0] == ' ' ? 1 : 0;
            out.write(p, skip, p.length - skip);
            removeSpace = false;
        }
        byte[] text = out.toByteArray();
        return vocab.cleanSpaces ? cleanSpaces(text) : text;
    }

    /** llama.cpp's clean_up_tokenization_spaces, three in-place passes over the bytes, kept literally. */
    static byte[] cleanSpaces(byte[] text) {
        // first pass: " ?", " !", " .", " ," lose the space
        int total1 = text.length;
        int total = total1 > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) total--;
            text[total++] = x;
        }
        // second pass: a single apostrophe between spaces loses both spaces
        int total2 = total;
        total = total2 > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++) {
            byte x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
                total--;
                text[++i] = 0;
            }
            text[total++] = x;
        }
        // third pass: " 's", " 'm", " 're", " 've" lose the space
        int total3 = total;
        total = total3 > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
                byte x1 = text[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (x1 != 't' && x1 != 'd' && i + 2 < total3) {
                    byte x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) total--;
                }
            }
            text[total++] = x;
        }
        return java.util.Arrays.copyOf(text, total);
    }

    @Override
    public final StreamDecoder streamDecoder() { return new Utf8StreamDecoder(id -> piece0(id, false)); }

    @Override
    public final int vocabSize() { return vocab.size(); }

    @Override
    public final int bos() { return vocab.bos; }

    @Override
    public final int eos() { return vocab.eos; }

    @Override
    public final boolean isEog(int id) { return vocab.isEog(id); }

    @Override
    public final String piece(int id) { return new String(piece0(id, true), StandardCharsets.UTF_8); }

    @Override
    public final String tokenText(int id) {
        checkId(id);
        return vocab.text[id];
    }

    @Override
    public String toString() { return vocab.describe(); }
}
