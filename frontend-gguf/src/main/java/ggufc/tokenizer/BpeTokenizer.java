package ggufc.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * BPE as llama.cpp's llm_tokenizer_bpe: the pre-tokenizer splits the text into words, and inside each word adjacent
 * symbols (initially single characters) are merged, lowest merge rank first (leftmost first on ties), until no
 * listed merge applies. Two flavours: byte-level ({@code tokenizer.ggml.model = "gpt2"}; words GPT-2 byte-encoded,
 * so every byte is a character) and SentencePiece-style ({@code "gemma4"}, see {@link BpePre#sentencePieceStyle}:
 * spaces escaped to U+2581, words raw UTF-8, {@code <0xXX>} byte fallback).
 */
final class BpeTokenizer extends LlamaTokenizer {
    private final PreTokenizer pre;
    private final boolean sentencePieceStyle;

    BpeTokenizer(Vocab vocab) {
        super(vocab);
        this.sentencePieceStyle = vocab.bpePre.sentencePieceStyle();
        this.pre = new PreTokenizer(vocab.bpePre.regexes(), !sentencePieceStyle);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial && vocab.addBos) out.add(requireSpecial(vocab.bos, "BOS"));
        for (Fragment frag : partition(text, parseSpecial)) {
            if (frag.isText()) {
                String fragText = sentencePieceStyle ? frag.text().replace(' ', SpmTokenizer.ESCAPED_SPACE) : frag.text();
                for (String word : pre.split(fragText)) tokenizeWord(word, out);
            } else {
                out.add(frag.token());
            }
        }
        if (addSpecial && vocab.addEos) out.add(requireSpecial(vocab.eos, "EOS"));
        return out.toArray();
    }

    @Override
    byte[] normalPiece(String tokenText) {
        if (sentencePieceStyle) return utf8(tokenText.replace(SpmTokenizer.ESCAPED_SPACE, ' '));
        // llama_decode_text: every code point stands for one byte; others are reported inline as llama.cpp does
        byte[] out = new byte[tokenText.length()];
        int n = 0;
        for (int i = 0; i < tokenText.length(); ) {
            int cp = tokenText.codePointAt(i);
            i += Character.charCount(cp);
            int b = ByteLevel.decode(cp);
            if (b >= 0) {
                out[n++] = (byte) b;
            } else {
                StringBuilder sb = new StringBuilder("[UNK_BYTE_0x");
                for (byte x : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) sb.append(String.format("%02x", x & 0xFF));
                sb.append(tokenText).append(']');
                byte[] u = utf8(sb.toString());
                out = java.util.Arrays.copyOf(out, out.length + u.length);
                System.arraycopy(u, 0, out, n, u.length);
                n += u.length;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private record Bigram(int left, int right, int rank, int size) {}

    private static final java.util.Comparator<Bigram> ORDER =
            (a, b) -> a.rank() != b.rank() ? Integer.compare(a.rank(), b.rank()) : Integer.compare(a.left(), b.left());

    /**
     * BPE over one word. Symbols are indexed by the char where they start; they start as one code point each (one
     * char for a byte-encoded word; a surrogate pair is one symbol whose second char is never a symbol start).
     */
    private void tokenizeWord(String word, IntList out) {
        int n = word.length();
        if (n == 0) return;
        if (vocab.ignoreMerges || vocab.bpePre.newlineRunTokens() && isNewlines(word)) {
            int id = vocab.tokenId(word);
            if (id != Vocab.NULL) {
                out.add(id);
                return;
            }
        }
        int[] len = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, last = -1; i < n; ) {
            len[i] = Character.charCount(word.codePointAt(i));
            prev[i] = last;
            if (last >= 0) next[last] = i;
            next[i] = -1;
            last = i;
            i += len[i];
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(ORDER);
        for (int i = 0; next[i] != -1; i = next[i]) addBigram(word, len, i, next[i], queue);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            int l = b.left(), r = b.right();
            // symbols only grow, so unchanged lengths mean unchanged texts (llama.cpp compares the texts)
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != b.size()) continue;
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            addBigram(word, len, prev[l], l, queue);
            addBigram(word, len, l, next[l], queue);
        }
        for (int i = 0; i != -1; i = next[i]) {
            String sym = word.substring(i, i + len[i]);
            int id = vocab.tokenId(sym);
            if (id != Vocab.NULL) {
                out.add(id);
                continue;
            }
            if (sentencePieceStyle) {
                // no token for the symbol: each of its UTF-8 bytes as a byte token, skipping bytes without one
                for (byte b : utf8(sym)) {
                    int bid = vocab.tokenId(String.format("<0x%02X>", b & 0xFF));
                    if (bid != Vocab.NULL) out.add(bid);
                }
                continue;
            }
            // no token for the symbol: llama.cpp looks up every single byte of it; only ASCII bytes can be tokens
            for (int k = 0; k < sym.length(); k++) {
                char c = sym.charAt(k);
                if (c < 0x80) {
                    int bid = vocab.tokenId(String.valueOf(c));
                    if (bid != Vocab.NULL) out.add(bid);
                }
            }
        }
    }

    private static boolean isNewlines(String word) {
        for (int i = 0; i < word.length(); i++) if (word.charAt(i) != '\n') return false;
        return true;
    }

    private void addBigram(String word, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) return;
        // symbols are contiguous: left starts at its index, right at left + len[left]
        String l = word.substring(left, left + len[left]);
        String r = word.substring(right, right + len[right]);
        Integer rank = vocab.bpeRanks.get(l + '\0' + r);
        if (rank == null) return;
        queue.add(new Bigram(left, right, rank, len[left] + len[right]));
    }
}
