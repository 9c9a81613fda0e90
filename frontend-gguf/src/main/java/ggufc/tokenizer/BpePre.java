package ggufc.tokenizer;

import java.util.List;

/**
 * The BPE pre-tokenizers named by {@code tokenizer.ggml.pre}: llama.cpp's regex list for each (copied verbatim
 * from {@code llm_tokenizer_bpe} in llama-vocab.cpp) and the flags llama.cpp's vocab loader sets for the name.
 * Only names whose regexes we run and test against the reference are accepted; every other name is an
 * {@link IllegalArgumentException}.
 *
 * @param sentencePieceStyle SentencePiece-style BPE (Gemma 4): spaces become U+2581 before tokenizing and again
 *     spaces when rendering pieces (llama.cpp's {@code escape_whitespaces}), words stay raw UTF-8 instead of
 *     GPT-2 byte-encoded ({@code byte_encode = false}), and a symbol without a token falls back to the
 *     {@code <0xXX>} byte tokens of its UTF-8 bytes
 * @param newlineRunTokens a word made only of newlines is one token when the vocabulary has it, instead of
 *     being merged (llama.cpp's Gemma 4 fix for merges that would split such a run; the published gemma-4
 *     vocabulary's merges rebuild every run anyway, so only a toy vocabulary shows it: TokenizerTest.toyGemma4)
 * @param forceAddBos add BOS even when {@code tokenizer.ggml.add_bos_token} says false (llama.cpp overrides
 *     that key for Gemma 4)
 */
record BpePre(String name, List<String> regexes, boolean cleanSpaces, boolean ignoreMerges, boolean addBos,
              boolean noBos, boolean addSep, boolean sentencePieceStyle, boolean newlineRunTokens, boolean forceAddBos) {

    /** A byte-level pre-tokenizer (GPT-2 byte encoding, no Gemma 4 rules): every name but gemma4. */
    BpePre(String name, List<String> regexes, boolean cleanSpaces, boolean ignoreMerges, boolean addBos, boolean noBos,
           boolean addSep) {
        this(name, regexes, cleanSpaces, ignoreMerges, addBos, noBos, addSep, false, false, false);
    }

    private static final List<String> DEFAULT = List.of(
            "[\\p{P}\\$\\+<=>\\^~\\|]+",
            PreTokenizer.GPT2,
            "\\p{N}+",
            "[0-9][0-9][0-9]");
    private static final List<String> GPT2 = List.of(PreTokenizer.GPT2);
    private static final List<String> LLAMA3 = List.of(PreTokenizer.LLAMA3);
    private static final List<String> QWEN2 = List.of(PreTokenizer.QWEN2);
    private static final List<String> QWEN35 = List.of(PreTokenizer.QWEN35);
    /**
     * Gemma 4 merges over the whole (space-escaped) text: llama.cpp only cuts it into runs of newlines and runs of
     * everything else, so no merge spans a line break.
     */
    private static final List<String> NEWLINE_RUNS = List.of("[^\\n]+|[\\n]+");
    private static final List<String> FALCON = List.of(
            "[\\p{P}\\$\\+<=>\\^~\\|`]+",
            PreTokenizer.GPT2,
            "[0-9][0-9][0-9]");
    private static final List<String> STARCODER = List.of("\\p{N}", PreTokenizer.GPT2);
    private static final List<String> DEEPSEEK_LLM = List.of(
            "[\r\n]",
            "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+",
            "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
            "\\s+$",
            "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
            "\\p{N}+");
    private static final List<String> DEEPSEEK_CODER = List.of(
            "[\r\n]",
            "\\s?\\p{L}+",
            "\\s?\\p{P}+",
            "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
            "\\p{N}");

    /** {@code pre} as read from the file; null or empty means missing (llama.cpp then uses "default"). */
    static BpePre forName(String pre) {
        if (pre == null || pre.isEmpty()) return plain("default", DEFAULT);
        return switch (pre) {
            case "default" -> plain(pre, DEFAULT);
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano" ->
                    new BpePre(pre, LLAMA3, true, true, true, false, false);
            case "dbrx", "smaug-bpe" -> plain(pre, LLAMA3);
            case "glm4", "chatglm-bpe" -> new BpePre(pre, LLAMA3, true, false, false, true, false);
            case "deepseek-llm" -> unclean(pre, DEEPSEEK_LLM);
            case "deepseek-coder" -> unclean(pre, DEEPSEEK_CODER);
            case "falcon" -> plain(pre, FALCON);
            case "mpt", "olmo", "jais", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
                 "a.x-4.0", "mellum", "modern-bert", "exaone4" -> plain(pre, GPT2);
            case "trillion", "granite-docling" -> unclean(pre, GPT2);
            case "jina-v1-en", "jina-v2-code", "roberta-bpe" -> new BpePre(pre, GPT2, true, false, false, false, true);
            case "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2" -> plain(pre, STARCODER);
            case "command-r", "smollm" -> unclean(pre, STARCODER);
            case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2" -> unclean(pre, QWEN2);
            case "stablelm2", "megrez" -> plain(pre, QWEN2);
            case "qwen35" -> unclean(pre, QWEN35);
            // llama.cpp's vocab loader sets this name itself for tokenizer.ggml.model = gemma4, whatever the file says
            case "gemma4" -> new BpePre(pre, NEWLINE_RUNS, true, false, false, false, false, true, true, true);
            default -> throw new IllegalArgumentException("unsupported BPE pre-tokenizer tokenizer.ggml.pre = '" + pre
                    + "' (supported: default/missing, gpt-2 family, llama-bpe/llama3 family, qwen2 family, qwen35, falcon, mpt,"
                    + " starcoder, refact, command-r, deepseek-llm, deepseek-coder and their llama.cpp aliases; gemma4 comes"
                    + " with tokenizer.ggml.model = gemma4)");
        };
    }

    private static BpePre plain(String name, List<String> regexes) {
        return new BpePre(name, regexes, true, false, false, false, false);
    }

    private static BpePre unclean(String name, List<String> regexes) {
        return new BpePre(name, regexes, false, false, false, false, false);
    }
}
