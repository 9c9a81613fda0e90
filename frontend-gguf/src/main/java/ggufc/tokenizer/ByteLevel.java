package ggufc.tokenizer;

/**
 * GPT-2's reversible byte-to-unicode mapping (bytes_to_unicode in openai/gpt-2 encoder.py, llama.cpp's
 * unicode_byte_to_utf8): printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100..U+0143 in
 * byte order. Every mapped character is a single BMP char.
 */
final class ByteLevel {
    private ByteLevel() {}

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** char -> byte, -1 where the char is not a mapped byte; indexed up to U+0143. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    static char encode(int b) { return BYTE_TO_CHAR[b & 0xFF]; }

    /** The byte a code point stands for, or -1 if it is not one of the 256 mapped characters. */
    static int decode(int cp) { return cp >= 0 && cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1; }

    /** Byte-encodes UTF-8 bytes: one char per byte. */
    static String encode(byte[] utf8) {
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }
}
