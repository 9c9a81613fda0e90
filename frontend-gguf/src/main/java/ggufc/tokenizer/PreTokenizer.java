package ggufc.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words the way llama.cpp's {@code unicode_regex_split} does, for a list of regexes applied one
 * after the other (each one re-splits every piece the previous ones produced; text between matches is kept as a
 * piece of its own).
 *
 * <p>Of the regexes llama.cpp has hand-written matchers for, we implement the same matchers for GPT-2's,
 * LLaMA-3's, Qwen2's and Qwen3.5's (Gemma 4's {@code [^\n]+|[\n]+} has one too, but it finds what the regex finds,
 * so it runs as a regex here). Every other regex runs through {@code std::regex}, and llama.cpp does not give it
 * the real text: when the regex uses a Unicode category ({@code \p{L}} etc.) it runs on a "collapsed" copy of the
 * text, one byte per code point, where ASCII stays as is, non-ASCII whitespace becomes 0x0B, and every other
 * non-ASCII code point becomes one byte per category (0xD1 number, 0xD2 letter, 0xD3 punctuation, 0xD4 mark,
 * 0xD5 symbol, 0xD0 anything else), while the regex's {@code \p{X}} becomes "[that byte + the ASCII members of
 * X]". So, for example, a non-ASCII symbol never matches {@code [\p{P}$+<=>^~|`]}. We reproduce that exactly with
 * {@link java.util.regex} on the same collapsed text. Regexes without categories run on the real code points,
 * again with non-ASCII whitespace replaced by 0x0B. {@code \s} is then the ASCII class in both engines
 * (no {@code UNICODE_CHARACTER_CLASS}), {@code $} is translated to {@code \z} (ECMAScript's {@code $} does not
 * match before a final newline), and each piece is matched on its own (region with opaque bounds), as
 * {@code std::regex_iterator} over a sub-range does.
 */
final class PreTokenizer {

    /** llama.cpp's regex strings that dispatch to its hand-written matchers. */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_ORIGINAL = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's with combining marks counted as letters: {@code [\p{L}\p{M}]+} words, {@code [^\s\p{L}\p{M}\p{N}]+} punctuation. */
    static final String QWEN35 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final int OUT_OF_RANGE = -1;

    private static final char COLLAPSED_OTHER = '\u00D0';
    private static final char COLLAPSED_WHITESPACE = '\u000B';

    /** llama.cpp's k_ucat_enum: the category escapes it collapses, and which category each stands for. */
    private static final Map<String, Integer> CATEGORY_ESCAPES = Map.of(
            "\\p{N}", Unicode.NUMBER, "\\p{L}", Unicode.LETTER, "\\p{P}", Unicode.PUNCTUATION,
            "\\p{M}", Unicode.ACCENT_MARK, "\\p{S}", Unicode.SYMBOL, "\\p{Lu}", Unicode.LETTER,
            "\\p{Ll}", Unicode.LETTER, "\\p{Lt}", Unicode.LETTER, "\\p{Lm}", Unicode.LETTER, "\\p{Lo}", Unicode.LETTER);

    /** Collapsed byte of a category, as a Java regex escape and as a char. */
    private static char collapsedChar(int category) {
        return switch (category) {
            case Unicode.NUMBER -> '\u00D1';
            case Unicode.LETTER -> '\u00D2';
            case Unicode.PUNCTUATION -> '\u00D3';
            case Unicode.ACCENT_MARK -> '\u00D4';
            case Unicode.SYMBOL -> '\u00D5';
            default -> COLLAPSED_OTHER;
        };
    }

    /** The ASCII members of each category (llama.cpp's k_ucat_map), in Java class syntax. */
    private static String asciiMembers(int category) {
        return switch (category) {
            case Unicode.NUMBER -> "0-9";
            case Unicode.LETTER -> "A-Za-z";
            case Unicode.PUNCTUATION -> "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}";
            case Unicode.ACCENT_MARK -> "";
            case Unicode.SYMBOL -> "\\$\\+<->\\^`\\|\\~";
            default -> throw new IllegalArgumentException("category " + category);
        };
    }

    private sealed interface Step permits Custom, Regex {}

    private enum Custom implements Step { GPT2, LLAMA3, QWEN2, QWEN35 }

    private record Regex(Pattern pattern, boolean collapsed) implements Step {}

    private final List<Step> steps = new ArrayList<>();
    private final boolean byteEncode;
    private final boolean needCollapse;

    /**
     * @param regexes llama.cpp's regex strings, verbatim
     * @param byteEncode whether words come back GPT-2 byte-encoded (all pre-tokenizers supported here)
     */
    PreTokenizer(List<String> regexes, boolean byteEncode) {
        this.byteEncode = byteEncode;
        boolean collapse = false;
        for (String r : regexes) {
            switch (r) {
                case GPT2 -> steps.add(Custom.GPT2);
                case LLAMA3, LLAMA3_ORIGINAL -> steps.add(Custom.LLAMA3);
                case QWEN2 -> steps.add(Custom.QWEN2);
                case QWEN35 -> steps.add(Custom.QWEN35);
                default -> {
                    boolean usesCategory = CATEGORY_ESCAPES.keySet().stream().anyMatch(r::contains);
                    steps.add(new Regex(Pattern.compile(usesCategory ? collapseRegex(r) : translate(r)), usesCategory));
                }
            }
            if (CATEGORY_ESCAPES.keySet().stream().anyMatch(r::contains)) collapse = true;
        }
        this.needCollapse = collapse;
    }

    /** Words of {@code text}, byte-encoded if configured so. */
    List<String> split(String text) {
        int[] cps = text.codePoints().toArray();
        IntList offsets = new IntList();
        offsets.add(cps.length);
        String collapsed = needCollapse ? collapse(cps) : null;
        WideText wide = null;
        for (Step step : steps) {
            IntList next = new IntList(offsets.size() * 2 + 4);
            if (step instanceof Custom c) {
                int start = 0;
                for (int i = 0; i < offsets.size(); i++) {
                    int len = offsets.get(i);
                    switch (c) {
                        case GPT2 -> splitGpt2(cps, start, start + len, next);
                        case LLAMA3 -> splitLlama3(cps, start, start + len, next, 3, Unicode.LETTER);
                        case QWEN2 -> splitLlama3(cps, start, start + len, next, 1, Unicode.LETTER);
                        case QWEN35 -> splitLlama3(cps, start, start + len, next, 1, Unicode.LETTER | Unicode.ACCENT_MARK);
                    }
                    start += len;
                }
                // llama.cpp falls back to std::regex when a custom matcher returns nothing; that only happens
                // for empty text, where the regex finds nothing either.
            } else {
                Regex r = (Regex) step;
                if (r.collapsed()) {
                    splitRegex(r.pattern(), collapsed, null, offsets, next);
                } else {
                    if (wide == null) wide = new WideText(cps);
                    splitRegex(r.pattern(), wide.text, wide, offsets, next);
                }
            }
            offsets = next;
        }
        List<String> words = new ArrayList<>(offsets.size());
        int start = 0;
        for (int i = 0; i < offsets.size(); i++) {
            int len = offsets.get(i);
            String word = new String(cps, start, len);
            words.add(byteEncode ? ByteLevel.encode(word.getBytes(StandardCharsets.UTF_8)) : word);
            start += len;
        }
        return words;
    }

    // ---- std::regex emulation ------------------------------------------------------------------------------

    /** The text with non-ASCII whitespace replaced by 0x0B, plus a char-index -> code-point-index map. */
    private static final class WideText {
        final String text;
        final int[] cpIndexOfChar; // length text.length() + 1
        final int[] charIndexOfCp; // length cps.length + 1

        WideText(int[] cps) {
            StringBuilder sb = new StringBuilder(cps.length + 8);
            charIndexOfCp = new int[cps.length + 1];
            for (int i = 0; i < cps.length; i++) {
                charIndexOfCp[i] = sb.length();
                int cp = cps[i];
                sb.appendCodePoint(cp > 0x7F && Unicode.isWhitespace(cp) ? 0x0B : cp);
            }
            charIndexOfCp[cps.length] = sb.length();
            text = sb.toString();
            cpIndexOfChar = new int[text.length() + 1];
            for (int i = 0; i <= cps.length; i++) cpIndexOfChar[charIndexOfCp[i]] = i;
        }
    }

    private static String collapse(int[] cps) {
        char[] out = new char[cps.length];
        for (int i = 0; i < cps.length; i++) {
            int cp = cps[i];
            if (cp < 128) {
                out[i] = (char) cp;
                continue;
            }
            int f = Unicode.flags(cp);
            if ((f & Unicode.WHITESPACE) != 0) out[i] = COLLAPSED_WHITESPACE;
            else out[i] = collapsedChar(f & Unicode.MASK_CATEGORIES);
        }
        return new String(out);
    }

    /**
     * One regex over every piece: matches and the text between them become pieces. {@code wide} maps between
     * chars and code points when the text is not collapsed (collapsed text has one char per code point).
     */
    private static void splitRegex(Pattern p, String text, WideText wide, IntList offsets, IntList out) {
        Matcher m = p.matcher(text);
        int start = 0; // code points
        for (int i = 0; i < offsets.size(); i++) {
            int len = offsets.get(i);
            int from = wide == null ? start : wide.charIndexOfCp[start];
            int to = wide == null ? start + len : wide.charIndexOfCp[start + len];
            m.region(from, to);
            int prevEnd = start; // code points
            while (m.find()) {
                int ms = wide == null ? m.start() : wide.cpIndexOfChar[m.start()];
                int me = wide == null ? m.end() : wide.cpIndexOfChar[m.end()];
                if (ms > prevEnd) out.add(ms - prevEnd);
                out.add(me - ms);
                prevEnd = me;
            }
            if (prevEnd < start + len) out.add(start + len - prevEnd);
            start += len;
        }
    }

    /** llama.cpp's regex collapsing (unicode_regex_split), producing Java syntax. */
    static String collapseRegex(String r) {
        StringBuilder out = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            if (c >= 128) throw new IllegalArgumentException("regex mixes Unicode categories and non-ASCII characters: " + r);
            if (c == '[' && (i == 0 || r.charAt(i - 1) != '\\')) {
                out.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && r.charAt(i - 1) != '\\') {
                out.append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < r.length() && r.charAt(i + 1) == 'p' && r.charAt(i + 2) == '{') {
                int close = r.indexOf('}', i + 3);
                if (close >= 0 && close <= i + 10) {
                    Integer cat = CATEGORY_ESCAPES.get(r.substring(i, close + 1));
                    if (cat != null) {
                        if (!inside) out.append('[');
                        out.append(String.format("\\x{%X}", (int) collapsedChar(cat))).append(asciiMembers(cat));
                        if (!inside) out.append(']');
                        i = close;
                        continue;
                    }
                }
            }
            appendTranslated(out, r, i, inside);
        }
        return out.toString();
    }

    /** A regex without categories: ECMAScript to Java (only {@code $} differs for the regexes we use). */
    static String translate(String r) {
        StringBuilder out = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            boolean escaped = i > 0 && r.charAt(i - 1) == '\\';
            if (c == '[' && !escaped) inside = true;
            else if (c == ']' && !escaped && inside) inside = false;
            appendTranslated(out, r, i, inside);
        }
        return out.toString();
    }

    private static void appendTranslated(StringBuilder out, String r, int i, boolean inside) {
        char c = r.charAt(i);
        boolean escaped = i > 0 && r.charAt(i - 1) == '\\';
        if (c == '$' && !inside && !escaped) out.append("\\z"); // ECMAScript $ (no multiline) = end of input only
        else out.append(c);
    }

    // ---- llama.cpp's hand-written matchers -----------------------------------------------------------------

    private static int cpt(int[] cps, int end, int pos) { return pos < end ? cps[pos] : OUT_OF_RANGE; }

    private static int flg(int[] cps, int end, int pos) { return pos < end ? Unicode.flags(cps[pos]) : 0; }

    private static final int WS_L_N = Unicode.WHITESPACE | Unicode.LETTER | Unicode.NUMBER;

    /** GPT-2: {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. */
    static void splitGpt2(int[] cps, int start, int end, IntList out) {
        int pos = start;
        while (pos < end) {
            int c = cps[pos];
            int f = Unicode.flags(c);
            int tokEnd = -1;
            if (c == '\'' && pos + 1 < end) {
                int n = cps[pos + 1];
                if (n == 's' || n == 't' || n == 'm' || n == 'd') tokEnd = pos + 2;
                else if (pos + 2 < end) {
                    int nn = cps[pos + 2];
                    if ((n == 'r' && nn == 'e') || (n == 'v' && nn == 'e') || (n == 'l' && nn == 'l')) tokEnd = pos + 3;
                }
            }
            if (tokEnd < 0) {
                int p = pos;
                int f2 = c == ' ' ? flg(cps, end, pos + 1) : f;
                if ((f2 & Unicode.LETTER) != 0) {
                    if (c == ' ') p++;
                    while ((flg(cps, end, p) & Unicode.LETTER) != 0) p++;
                    tokEnd = p;
                } else if ((f2 & Unicode.NUMBER) != 0) {
                    if (c == ' ') p++;
                    while ((flg(cps, end, p) & Unicode.NUMBER) != 0) p++;
                    tokEnd = p;
                } else if ((f2 & WS_L_N) == 0 && f2 != 0) {
                    if (c == ' ') p++;
                    for (int g = flg(cps, end, p); (g & WS_L_N) == 0 && g != 0; g = flg(cps, end, ++p)) { }
                    tokEnd = p;
                } else {
                    int nws = 0;
                    while ((flg(cps, end, pos + nws) & Unicode.WHITESPACE) != 0) nws++;
                    if (nws > 1 && cpt(cps, end, pos + nws) != OUT_OF_RANGE) tokEnd = pos + nws - 1; // \s+(?!\S)
                    else if (nws > 0) tokEnd = pos + nws;                                             // \s+
                    else tokEnd = pos + 1;                                                           // no match
                }
            }
            out.add(tokEnd - pos);
            pos = tokEnd;
        }
    }

    /**
     * LLaMA-3 ({@code maxDigits} 3), Qwen2 ({@code maxDigits} 1) and Qwen3.5 ({@code maxDigits} 1, {@code wordFlags}
     * letters and marks):
     * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?W+|\p{N}{1,maxDigits}| ?[^\s W \p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}
     * where W is the class {@code wordFlags} names ({@code \p{L}}, or {@code [\p{L}\p{M}]}). The optional character
     * before a word stays {@code [^\r\n\p{L}\p{N}]} in all three, so for Qwen3.5 a mark may lead a word.
     *
     * @param wordFlags the {@link Unicode} flags of the characters words are made of
     */
    static void splitLlama3(int[] cps, int start, int end, IntList out, int maxDigits, int wordFlags) {
        int notPunctuation = Unicode.WHITESPACE | Unicode.NUMBER | wordFlags;
        int pos = start;
        while (pos < end) {
            int c = cps[pos];
            int f = Unicode.flags(c);
            if (c == '\'' && pos + 1 < end) {
                int n = Unicode.toLower(cps[pos + 1]);
                if (n == 's' || n == 't' || n == 'm' || n == 'd') {
                    out.add(2);
                    pos += 2;
                    continue;
                }
                if (pos + 2 < end) {
                    int nn = Unicode.toLower(cps[pos + 2]);
                    if ((n == 'r' && nn == 'e') || (n == 'v' && nn == 'e') || (n == 'l' && nn == 'l')) {
                        out.add(3);
                        pos += 3;
                        continue;
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?W+
            if (!(c == '\r' || c == '\n' || (f & Unicode.NUMBER) != 0)) {
                if ((f & wordFlags) != 0 || (flg(cps, end, pos + 1) & wordFlags) != 0) {
                    int p = pos + 1;
                    while ((flg(cps, end, p) & wordFlags) != 0) p++;
                    out.add(p - pos);
                    pos = p;
                    continue;
                }
            }
            // \p{N}{1,maxDigits}
            if ((f & Unicode.NUMBER) != 0) {
                int p = pos;
                while ((flg(cps, end, p) & Unicode.NUMBER) != 0) p++;
                for (int run = p - pos; run > 0; run -= maxDigits) out.add(Math.min(maxDigits, run));
                pos = p;
                continue;
            }
            // " ?[^\s W \p{N}]+[\r\n]*"  (note: llama.cpp tests the first code point's flags for being in range)
            int f2 = c == ' ' ? flg(cps, end, pos + 1) : f;
            if ((f2 & notPunctuation) == 0 && f != 0) {
                int p = pos + (c == ' ' ? 1 : 0);
                for (int g = f2; (g & notPunctuation) == 0 && g != 0; g = flg(cps, end, ++p)) { }
                for (int c2 = cpt(cps, end, p); c2 == '\r' || c2 == '\n'; c2 = cpt(cps, end, ++p)) { }
                out.add(p - pos);
                pos = p;
                continue;
            }
            int nws = 0;
            int lastEndRN = 0;
            while ((flg(cps, end, pos + nws) & Unicode.WHITESPACE) != 0) {
                int c2 = cps[pos + nws];
                if (c2 == '\r' || c2 == '\n') lastEndRN = pos + nws + 1;
                nws++;
            }
            int tokEnd;
            if (lastEndRN > 0) tokEnd = lastEndRN;                                               // \s*[\r\n]+
            else if (nws > 1 && cpt(cps, end, pos + nws) != OUT_OF_RANGE) tokEnd = pos + nws - 1; // \s+(?!\S)
            else if (nws > 0) tokEnd = pos + nws;                                                 // \s+
            else tokEnd = pos + 1;                                                                // no match
            out.add(tokEnd - pos);
            pos = tokEnd;
        }
    }
}
