package ggufc.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece-style tokenizer ({@code tokenizer.ggml.model = "llama"}), as llama.cpp's llm_tokenizer_spm: spaces
 * become U+2581, a space is prefixed to text that starts the input or follows a special token (when
 * add_space_prefix), then adjacent symbols are merged greedily by the score of the token they form, and symbols
 * that are no token fall back to byte tokens {@code <0xXX>}.
 */
final class SpmTokenizer extends LlamaTokenizer {
    static final char ESCAPED_SPACE = '\u2581';

    private final int[] byteTokens = new int[256]; // byte -> token, NULL if none

    SpmTokenizer(Vocab vocab) {
        super(vocab);
        for (int b = 0; b < 256; b++) {
            int id = vocab.tokenId(String.format("<0x%02X>", b));
            if (id == Vocab.NULL && b < 0x80) id = vocab.tokenId(String.valueOf((char) b));
            byteTokens[b] = id;
        }
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 2 + 4);
        boolean prevSpecial = true; // the first text gets the space prefix
        if (addSpecial && vocab.addBos) out.add(requireSpecial(vocab.bos, "BOS"));
        for (Fragment frag : partition(text, parseSpecial)) {
            if (frag.isText()) {
                String t = vocab.addSpacePrefix && prevSpecial ? " " + frag.text() : frag.text();
                new Session(t.replace(' ', ESCAPED_SPACE)).tokenize(out);
                prevSpecial = false;
            } else {
                out.add(frag.token());
                prevSpecial = true;
            }
        }
        if (addSpecial && vocab.addEos) out.add(requireSpecial(vocab.eos, "EOS"));
        return out.toArray();
    }

    @Override
    byte[] normalPiece(String tokenText) {
        return utf8(tokenText.replace(ESCAPED_SPACE, ' '));
    }

    private record Bigram(int left, int right, float score, int size) {}

    /** One run of the merge algorithm over one text fragment. */
    private final class Session {
        final String text;
        final int[] start, len, prev, next;
        final PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) ->
                a.score() != b.score() ? Float.compare(b.score(), a.score()) : Integer.compare(a.left(), b.left()));
        final Map<String, long[]> revMerge = new HashMap<>();

        Session(String text) {
            this.text = text;
            int n = text.codePointCount(0, text.length());
            start = new int[n];
            len = new int[n];
            prev = new int[n];
            next = new int[n];
            for (int i = 0, off = 0; i < n; i++) {
                int cl = Character.charCount(text.codePointAt(off));
                start[i] = off;
                len[i] = cl;
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
                off += cl;
            }
        }

        void tokenize(IntList out) {
            int n = start.length;
            if (n == 0) return;
            for (int i = 1; i < n; i++) tryAddBigram(i - 1, i);
            while (!queue.isEmpty()) {
                Bigram b = queue.poll();
                int l = b.left(), r = b.right();
                if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != b.size()) continue; // outdated
                len[l] += len[r];
                len[r] = 0;
                next[l] = next[r];
                if (next[r] >= 0) prev[next[r]] = l;
                tryAddBigram(prev[l], l);
                tryAddBigram(l, next[l]);
            }
            for (int i = 0; i != -1; i = next[i]) resegment(i, out);
        }

        private void tryAddBigram(int left, int right) {
            if (left == -1 || right == -1) return;
            String t = text.substring(start[left], start[left] + len[left] + len[right]);
            int id = vocab.tokenId(t);
            if (id == Vocab.NULL) return;
            queue.add(new Bigram(left, right, vocab.score[id], t.length()));
            revMerge.put(t, new long[] {left, right});
        }

        private void resegment(int sym, IntList out) {
            String t = text.substring(start[sym], start[sym] + len[sym]);
            int id = vocab.tokenId(t);
            if (id != Vocab.NULL) {
                out.add(id);
                return;
            }
            long[] p = revMerge.get(t);
            if (p == null) {
                for (byte b : t.getBytes(StandardCharsets.UTF_8)) out.add(byteToken(b & 0xFF));
                return;
            }
            resegment((int) p[0], out);
            resegment((int) p[1], out);
        }
    }

    /** llama_vocab::byte_to_token for SPM: {@code <0xXX>}, else the byte itself as a token. */
    private int byteToken(int b) {
        int id = byteTokens[b];
        if (id != Vocab.NULL) return id;
        // llama.cpp throws (std::out_of_range) here; a vocabulary without byte tokens gets the unknown token instead
        if (vocab.unk != Vocab.NULL) return vocab.unk;
        throw new IllegalStateException("SPM vocabulary has no byte token for 0x" + Integer.toHexString(b) + " and no unknown token");
    }
}
