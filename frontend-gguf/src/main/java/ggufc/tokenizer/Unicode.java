package ggufc.tokenizer;

import java.text.Normalizer;
import java.util.Arrays;

/**
 * The Unicode character properties llama.cpp's tokenizers use ({@code src/unicode.cpp} and the generated
 * {@code src/unicode-data.cpp}), computed from the JDK's own tables plus one correction.
 *
 * <p>llama.cpp reduces every code point to one category flag (number, letter, separator, mark, punctuation,
 * symbol, control, undefined) plus a separate White_Space bit, and uses the UnicodeData.txt simple lowercase
 * mapping and the first code point of the NFD decomposition. The JDK gives the same answers with
 * {@link Character#getType(int)}, {@link Character#toLowerCase(int)} and {@link Normalizer}, except for one
 * difference: llama.cpp's tables were generated from a Unicode version before 16.0, while JDK 25 implements
 * Unicode 16.0. Comparing all 0x110000 code points (category, lowercase, NFD) against llama.cpp's tables shows
 * that every difference is a code point that Unicode 16.0 newly assigned (5185 code points, 47 ranges, listed
 * in {@link #NEW_IN_UNICODE_16}); llama.cpp treats those as unassigned (category Cn, no case mapping, no
 * decomposition). So we do the same. {@code UnicodeTest} pins checksums of the resulting tables, computed from
 * llama.cpp's unicode-data.cpp, so a JDK with a newer Unicode version fails loudly instead of drifting.
 */
final class Unicode {
    private Unicode() {}

    // category flags, as llama.cpp's unicode_cpt_flags
    static final int UNDEFINED = 0x0001;
    static final int NUMBER = 0x0002;
    static final int LETTER = 0x0004;
    static final int SEPARATOR = 0x0008;
    static final int ACCENT_MARK = 0x0010;
    static final int PUNCTUATION = 0x0020;
    static final int SYMBOL = 0x0040;
    static final int CONTROL = 0x0080;
    static final int MASK_CATEGORIES = 0x00FF;
    static final int WHITESPACE = 0x0100;

    static final int MAX_CODEPOINTS = 0x110000;

    /**
     * Inclusive ranges [start, end] of code points assigned in Unicode 16.0 (absent from llama.cpp's tables,
     * present in JDK 25's). Derived by diffing the two tables over all code points.
     */
    private static final int[] NEW_IN_UNICODE_16 = {
        0x00897, 0x00897, 0x01B4E, 0x01B4F, 0x01B7F, 0x01B7F, 0x01C89, 0x01C8A, 0x02427, 0x02429, 0x031E4, 0x031E5,
        0x0A7CB, 0x0A7CD, 0x0A7DA, 0x0A7DC, 0x105C0, 0x105F3, 0x10D40, 0x10D65, 0x10D69, 0x10D85, 0x10D8E, 0x10D8F,
        0x10EC2, 0x10EC4, 0x10EFC, 0x10EFC, 0x11380, 0x11389, 0x1138B, 0x1138B, 0x1138E, 0x1138E, 0x11390, 0x113B5,
        0x113B7, 0x113C0, 0x113C2, 0x113C2, 0x113C5, 0x113C5, 0x113C7, 0x113CA, 0x113CC, 0x113D5, 0x113D7, 0x113D8,
        0x113E1, 0x113E2, 0x116D0, 0x116E3, 0x11BC0, 0x11BE1, 0x11BF0, 0x11BF9, 0x11F5A, 0x11F5A, 0x13460, 0x143FA,
        0x16100, 0x16139, 0x16D40, 0x16D79, 0x18CFF, 0x18CFF, 0x1CC00, 0x1CCF9, 0x1CD00, 0x1CEB3, 0x1E5D0, 0x1E5FA,
        0x1E5FF, 0x1E5FF, 0x1F8B2, 0x1F8BB, 0x1F8C0, 0x1F8C1, 0x1FA89, 0x1FA89, 0x1FA8F, 0x1FA8F, 0x1FABE, 0x1FABE,
        0x1FAC6, 0x1FAC6, 0x1FADC, 0x1FADC, 0x1FADF, 0x1FADF, 0x1FAE9, 0x1FAE9, 0x1FBCB, 0x1FBEF,
    };

    /** Unicode White_Space (PropList.txt), the set llama.cpp uses for \s. */
    private static final int[] WHITE_SPACE = {
        0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x0020, 0x0085, 0x00A0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
        0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    };

    /** flags for the BMP, computed once; supplementary code points are computed on demand. */
    private static final short[] BMP_FLAGS = new short[0x10000];

    static {
        for (int cp = 0; cp < 0x10000; cp++) BMP_FLAGS[cp] = (short) computeFlags(cp);
    }

    static boolean isNewInUnicode16(int cp) {
        if (cp < NEW_IN_UNICODE_16[0] || cp > NEW_IN_UNICODE_16[NEW_IN_UNICODE_16.length - 1]) return false;
        // binary search over the range starts
        int lo = 0, hi = NEW_IN_UNICODE_16.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (NEW_IN_UNICODE_16[2 * mid] <= cp) lo = mid + 1; else hi = mid - 1;
        }
        return hi >= 0 && cp <= NEW_IN_UNICODE_16[2 * hi + 1];
    }

    private static int computeFlags(int cp) {
        int f = isNewInUnicode16(cp) ? UNDEFINED : category(Character.getType(cp));
        if (Arrays.binarySearch(WHITE_SPACE, cp) >= 0) f |= WHITESPACE;
        return f;
    }

    private static int category(int javaType) {
        return switch (javaType) {
            case Character.UNASSIGNED -> UNDEFINED;
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE -> CONTROL;
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> ACCENT_MARK;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> SYMBOL;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            default -> UNDEFINED;
        };
    }

    /** Category flag | WHITESPACE for a code point; 0 outside [0, 0x10FFFF] (llama.cpp's "out of range"). */
    static int flags(int cp) {
        if (cp < 0 || cp >= MAX_CODEPOINTS) return 0;
        if (cp < 0x10000) return BMP_FLAGS[cp];
        return computeFlags(cp);
    }

    static boolean isWhitespace(int cp) { return (flags(cp) & WHITESPACE) != 0; }
    static boolean isLetter(int cp) { return (flags(cp) & LETTER) != 0; }
    static boolean isNumber(int cp) { return (flags(cp) & NUMBER) != 0; }

    /** Simple (1:1) lowercase mapping from UnicodeData.txt, as llama.cpp's unicode_tolower. */
    static int toLower(int cp) {
        if (cp < 0 || cp >= MAX_CODEPOINTS || isNewInUnicode16(cp)) return cp;
        return Character.toLowerCase(cp);
    }

    /** First code point of the NFD decomposition, as llama.cpp's unicode_cpts_normalize_nfd does per code point. */
    static int nfdFirst(int cp) {
        if (cp < 0xC0 || cp >= MAX_CODEPOINTS || (cp >= 0xD800 && cp <= 0xDFFF) || isNewInUnicode16(cp)) return cp;
        String s = Character.toString(cp);
        if (Normalizer.isNormalized(s, Normalizer.Form.NFD)) return cp;
        return Normalizer.normalize(s, Normalizer.Form.NFD).codePointAt(0);
    }
}
