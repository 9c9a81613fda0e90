package ggufc.tokenizer;

import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufValue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * A tokenizer vocabulary read from GGUF metadata, with the special-token ids, token attributes and flags that
 * llama.cpp's {@code llama_vocab::impl::load} derives (defaults per model type, per-pre-tokenizer flags, metadata
 * overrides, and its name-based fix-ups of token attributes and end-of-generation tokens).
 */
final class Vocab {
    // token attributes (llama_token_attr)
    static final int ATTR_UNDEFINED = 0;
    static final int ATTR_UNKNOWN = 1;
    static final int ATTR_UNUSED = 1 << 1;
    static final int ATTR_NORMAL = 1 << 2;
    static final int ATTR_CONTROL = 1 << 3;
    static final int ATTR_USER_DEFINED = 1 << 4;
    static final int ATTR_BYTE = 1 << 5;
    static final int ATTR_LSTRIP = 1 << 7;
    static final int ATTR_RSTRIP = 1 << 8;

    static final int NULL = -1;

    enum Type { SPM, BPE, WPM }

    final Type type;
    final String model;
    final String preName;
    final BpePre bpePre; // BPE only

    final String[] text;
    final float[] score;
    final int[] attr;
    final Map<String, Integer> ids;
    final int maxTokenLenBytes;
    final Map<String, Integer> bpeRanks; // "left\0right" -> rank; BPE only

    int bos = 1, eos = 2, eot = NULL, eom = NULL, unk = 0, sep = NULL, pad = NULL, mask = NULL;
    int fimPre = NULL, fimSuf = NULL, fimMid = NULL, fimPad = NULL, fimRep = NULL, fimSep = NULL;

    boolean addSpacePrefix, addBos, addEos, addSep, ignoreMerges, cleanSpaces, escapeWhitespaces = true;
    boolean lowercase = true, stripAccents = true;

    final int[] eog;            // sorted
    final int[] specialTokens;  // control / user-defined / unknown tokens, longest text first

    Vocab(GgufFile f) {
        model = f.getString("tokenizer.ggml.model", null);
        if (model == null) throw new IllegalArgumentException(f.path() + ": no tokenizer.ggml.model in the metadata");
        String pre = f.has("tokenizer.ggml.pre") ? f.getString("tokenizer.ggml.pre") : null;
        // llama.cpp gives the gemma4 model its own pre-tokenizer, whatever tokenizer.ggml.pre says
        if (model.equals("gemma4")) pre = "gemma4";
        preName = pre;
        Map<String, Integer> ranks = null;
        BpePre bp = null;
        switch (model) {
            case "llama" -> {
                type = Type.SPM;
                bos = 1; eos = 2; unk = 0;
                addSpacePrefix = true; cleanSpaces = false; addBos = true; addEos = false;
            }
            case "bert" -> {
                type = Type.WPM;
                bos = 101; eos = NULL; unk = 100; sep = 102; pad = 0; mask = 103;
                addSpacePrefix = false; cleanSpaces = true; addBos = true; addEos = false; addSep = true;
            }
            case "gpt2", "gemma4" -> {
                type = Type.BPE;
                // gemma4 files name every special token themselves; llama.cpp has no defaults for them
                if (model.equals("gpt2")) {
                    bos = 11; eos = 11;
                } else {
                    bos = NULL; eos = NULL;
                }
                unk = NULL;
                ranks = readMerges(f);
                bp = BpePre.forName(pre);
                addSpacePrefix = false; escapeWhitespaces = bp.sentencePieceStyle();
                cleanSpaces = bp.cleanSpaces(); ignoreMerges = bp.ignoreMerges(); addBos = bp.addBos(); addSep = bp.addSep();
                if (bp.noBos()) bos = NULL;
            }
            case "no_vocab", "none", "t5", "rwkv", "plamo2", "test", "hybriddna", "whitespace" ->
                    throw new IllegalArgumentException("unsupported tokenizer model tokenizer.ggml.model = '" + model
                            + "' (supported: llama (SPM), gpt2 and gemma4 (BPE), bert (WPM))");
            default -> throw new IllegalArgumentException("unknown tokenizer model tokenizer.ggml.model = '" + model
                    + "' (supported: llama (SPM), gpt2 and gemma4 (BPE), bert (WPM))");
        }
        bpeRanks = ranks;
        bpePre = bp;
        addSpacePrefix = f.getBool("tokenizer.ggml.add_space_prefix", addSpacePrefix);

        // tokens, scores, types
        List<String> tokens = f.getStringArray("tokenizer.ggml.tokens");
        int n = tokens.size();
        text = new String[n];
        score = new float[n];
        attr = new int[n];
        ids = new HashMap<>(n * 2);
        float[] scores = null;
        if (f.has("tokenizer.ggml.scores")) {
            GgufValue v = f.value("tokenizer.ggml.scores");
            if (v.value() instanceof float[] a) scores = a;
            else {
                int[] a = f.getIntArray("tokenizer.ggml.scores");
                scores = new float[a.length];
                for (int i = 0; i < a.length; i++) scores[i] = a[i];
            }
            if (scores.length < n) throw new IllegalArgumentException(f.path() + ": " + scores.length + " scores for " + n + " tokens");
        }
        int[] types = f.has("tokenizer.ggml.token_type") ? f.getIntArray("tokenizer.ggml.token_type") : null;
        if (types != null && types.length < n) throw new IllegalArgumentException(f.path() + ": " + types.length + " token types for " + n + " tokens");
        int maxLen = 0;
        for (int i = 0; i < n; i++) {
            String w = tokens.get(i);
            if (w.isEmpty()) w = "[EMPTY_" + i + "]";
            text[i] = w;
            ids.put(w, i);
            maxLen = Math.max(maxLen, w.getBytes(StandardCharsets.UTF_8).length);
            score[i] = scores != null ? scores[i] : 0f;
            attr[i] = types == null ? ATTR_NORMAL : switch (types[i]) {
                case 1 -> ATTR_NORMAL;
                case 2 -> ATTR_UNKNOWN;
                case 3 -> ATTR_CONTROL;
                case 4 -> ATTR_USER_DEFINED;
                case 5 -> ATTR_UNUSED;
                case 6 -> ATTR_BYTE;
                default -> ATTR_UNDEFINED;
            };
        }
        maxTokenLenBytes = maxLen;
        if (ids.size() != n) throw new IllegalArgumentException(f.path() + ": duplicate token texts in tokenizer.ggml.tokens");

        // special token ids: defaults out of range are disabled, metadata overrides when in range
        bos = specialId(f, "tokenizer.ggml.bos_token_id", bos, n);
        eos = specialId(f, "tokenizer.ggml.eos_token_id", eos, n);
        eot = specialId(f, "tokenizer.ggml.eot_token_id", eot, n);
        eom = specialId(f, "tokenizer.ggml.eom_token_id", eom, n);
        unk = specialId(f, "tokenizer.ggml.unknown_token_id", unk, n);
        sep = specialId(f, "tokenizer.ggml.seperator_token_id", sep, n);
        pad = specialId(f, "tokenizer.ggml.padding_token_id", pad, n);
        mask = specialId(f, "tokenizer.ggml.mask_token_id", mask, n);
        fimPre = specialId(f, "tokenizer.ggml.fim_pre_token_id", fimPre, n);
        fimSuf = specialId(f, "tokenizer.ggml.fim_suf_token_id", fimSuf, n);
        fimMid = specialId(f, "tokenizer.ggml.fim_mid_token_id", fimMid, n);
        fimPad = specialId(f, "tokenizer.ggml.fim_pad_token_id", fimPad, n);
        fimRep = specialId(f, "tokenizer.ggml.fim_rep_token_id", fimRep, n);
        fimSep = specialId(f, "tokenizer.ggml.fim_sep_token_id", fimSep, n);
        fimPre = specialId(f, "tokenizer.ggml.prefix_token_id", fimPre, n);
        fimSuf = specialId(f, "tokenizer.ggml.suffix_token_id", fimSuf, n);
        fimMid = specialId(f, "tokenizer.ggml.middle_token_id", fimMid, n);

        addBos = f.getBool("tokenizer.ggml.add_bos_token", addBos);
        addEos = f.getBool("tokenizer.ggml.add_eos_token", addEos);
        addSep = f.getBool("tokenizer.ggml.add_sep_token", addSep);
        if (bp != null && bp.forceAddBos()) addBos = true;
        lowercase = f.getBool("tokenizer.ggml.normalizer.lowercase", lowercase);
        stripAccents = f.getBool("tokenizer.ggml.normalizer.strip_accents", lowercase);

        // llama.cpp finds EOT / EOM / FIM tokens by their text when the metadata does not name them, and forces
        // them to be control tokens. It takes the first candidate in its std::unordered_map's iteration order,
        // which for libstdc++ mostly runs from the last inserted (highest id) back; we take the highest id. This
        // only matters for a vocabulary with two candidate texts for one role (e.g. <|end_of_text|> and
        // <|eot_id|>: llama.cpp, and we, pick <|eot_id|>), and then only for which one is "the" EOT id, since every
        // EOT candidate is an end-of-generation token anyway.
        if (eot == NULL) eot = markControl(highestId("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"));
        if (eom == NULL) eom = markControl(highestId("<|eom_id|>"));
        if (fimPre == NULL) fimPre = markControl(highestId("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"));
        if (fimSuf == NULL) fimSuf = markControl(highestId("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"));
        if (fimMid == NULL) fimMid = markControl(highestId("<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"));
        if (fimPad == NULL) fimPad = markControl(highestId("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"));
        if (fimRep == NULL) fimRep = markControl(highestId("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"));
        if (fimSep == NULL) fimSep = markControl(highestId("<|file_sep|>"));
        // control tokens whose text contains "unused" are unused
        for (int i = 0; i < n; i++) {
            if ((attr[i] & ATTR_CONTROL) != 0 && text[i].contains("unused")) attr[i] |= ATTR_UNUSED;
        }
        // end-of-generation tokens
        TreeSet<Integer> eogSet = new TreeSet<>();
        for (int id : new int[] {fimPad, fimRep, fimSep}) if (id != NULL) eogSet.add(id);
        for (String t : new String[] {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
                "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>",
                "[e~["}) {
            Integer id = ids.get(t);
            if (id != null) {
                eogSet.add(id);
                attr[id] |= ATTR_CONTROL;
            }
        }
        // gpt-oss: always render these
        for (String t : new String[] {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
            Integer id = ids.get(t);
            if (id != null) attr[id] = ATTR_USER_DEFINED;
        }
        for (int id : new int[] {eos, eot, eom}) if (id != NULL) eogSet.add(id);
        // o200k_harmony / solar-open: <|end|> is not end-of-generation when <|return|>+<|call|> or <|calls|>+<|flush|> exist
        {
            boolean hasReturn = false, hasCall = false, hasFlush = false;
            int endId = NULL;
            for (int id : eogSet) {
                String t = text[id];
                if (t.equals("<|return|>")) hasReturn = true;
                else if (t.equals("<|call|>") || t.equals("<|calls|>")) hasCall = true;
                else if (t.equals("<|flush|>")) hasFlush = true;
                else if (t.equals("<|end|>")) endId = id;
            }
            if (endId != NULL && ((hasReturn && hasCall) || (hasCall && hasFlush))) {
                eogSet.remove(endId);
                attr[endId] = ATTR_USER_DEFINED;
            }
        }
        // gemma4 / paddleocr: </s> is not end-of-generation when <|tool_response> is
        {
            boolean hasToolResponse = false;
            int sId = NULL;
            for (int id : eogSet) {
                if (text[id].equals("<|tool_response>")) hasToolResponse = true;
                else if (text[id].equals("</s>")) sId = id;
            }
            if (hasToolResponse && sId != NULL) {
                eogSet.remove(sId);
                attr[sId] = ATTR_NORMAL;
            }
        }
        eog = eogSet.stream().mapToInt(Integer::intValue).toArray();

        // special tokens, longest (in bytes) first; llama.cpp's std::sort leaves ties unordered, we keep id order
        List<Integer> special = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if ((attr[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0) special.add(i);
        }
        int[] byteLen = new int[n];
        for (int id : special) byteLen[id] = text[id].getBytes(StandardCharsets.UTF_8).length;
        special.sort(Comparator.comparingInt((Integer id) -> -byteLen[id]).thenComparingInt(id -> id));
        specialTokens = special.stream().mapToInt(Integer::intValue).toArray();

        // per-token attributes llama.cpp sets by model / tokenizer / architecture name
        String name = f.getString("general.name", "");
        String lname = name.toLowerCase(Locale.ROOT);
        String arch = f.getString("general.architecture", "");
        String preKey = pre == null ? "" : pre;
        if (containsAny(preKey, "jina-v2-de", "jina-v2-es", "jina-v2-code") || containsAny(arch, "nomic-bert-moe", "jina-bert-v3")) {
            Integer m = ids.get("<mask>");
            if (m != null) attr[m] |= ATTR_LSTRIP;
        } else if (containsAny(lname, "phi-3", "phi3")) {
            for (int id : specialTokens) attr[id] |= ATTR_RSTRIP;
            setAttr("</s>", ATTR_RSTRIP, true);
            setAttr("<unk>", ATTR_RSTRIP, false);
            setAttr("<s>", ATTR_RSTRIP, false);
            setAttr("<|endoftext|>", ATTR_RSTRIP, false);
        } else if (lname.contains("modern-bert")) {
            setAttr("[MASK]", ATTR_LSTRIP, true);
        }
    }

    /** tokenizer.ggml.merges as "left\0right" -> rank. */
    private static Map<String, Integer> readMerges(GgufFile f) {
        if (!f.has("tokenizer.ggml.merges")) throw new IllegalArgumentException(f.path() + ": BPE vocabulary without tokenizer.ggml.merges");
        List<String> merges = f.getStringArray("tokenizer.ggml.merges");
        Map<String, Integer> ranks = new HashMap<>(merges.size() * 2);
        for (int i = 0; i < merges.size(); i++) {
            String m = merges.get(i);
            // llama.cpp splits at the first space after position 0; a merge without one is ("", "")
            int sp = m.indexOf(' ', 1);
            String key = sp >= 0 ? m.substring(0, sp) + '\0' + m.substring(sp + 1) : "\0";
            ranks.putIfAbsent(key, i); // unordered_map::emplace keeps the first
        }
        return ranks;
    }

    private void setAttr(String token, int a, boolean value) {
        Integer id = ids.get(token);
        if (id == null) return; // llama.cpp would fail to load such a model (token_to_id.at)
        attr[id] = value ? attr[id] | a : attr[id] & ~a;
    }

    private int highestId(String... candidates) {
        int best = NULL;
        for (String c : candidates) {
            Integer id = ids.get(c);
            if (id != null && id > best) best = id;
        }
        return best;
    }

    private int markControl(int id) {
        if (id != NULL) attr[id] |= ATTR_CONTROL;
        return id;
    }

    private static boolean containsAny(String s, String... subs) {
        for (String sub : subs) if (s.contains(sub)) return true;
        return false;
    }

    private static int specialId(GgufFile f, String key, int dflt, int n) {
        if (dflt >= n) dflt = NULL;
        if (!f.has(key)) return dflt;
        long v = f.getLong(key);
        // llama.cpp reads a uint32: anything out of the vocabulary ("bad special token") keeps the default
        return v >= 0 && v < n ? (int) v : dflt;
    }

    int size() { return text.length; }

    boolean isEog(int id) { return id != NULL && Arrays.binarySearch(eog, id) >= 0; }

    int tokenId(String s) {
        Integer id = ids.get(s);
        return id == null ? NULL : id;
    }

    String describe() {
        return type + " vocabulary (" + text.length + " tokens, model '" + model + "'"
                + (preName != null ? ", pre '" + preName + "'" : "") + ")";
    }
}
