package ggufc.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pins our Unicode tables to llama.cpp's. The expected CRC32 values were computed from llama.cpp's
 * src/unicode-data.cpp (the reference release in /work/shared/reference): for every code point 0..0x10FFFF, as
 * 4 little-endian bytes each, (1) the category flag | 0x100 if White_Space, (2) unicode_tolower, (3) the
 * unicode_cpts_normalize_nfd mapping. A JDK whose Unicode tables change fails here.
 */
class UnicodeTest {

    interface CpFunction { int apply(int cp); }

    private static String crc(CpFunction f) {
        CRC32 c = new CRC32();
        byte[] b = new byte[4];
        for (int cp = 0; cp < Unicode.MAX_CODEPOINTS; cp++) {
            int x = f.apply(cp);
            b[0] = (byte) x; b[1] = (byte) (x >> 8); b[2] = (byte) (x >> 16); b[3] = (byte) (x >> 24);
            c.update(b);
        }
        return String.format("%08x", c.getValue());
    }

    @Test
    void categoryAndWhitespaceFlagsMatchLlamaCpp() {
        assertEquals("0a047d21", crc(Unicode::flags));
    }

    @Test
    void lowercaseMatchesLlamaCpp() {
        assertEquals("51648037", crc(Unicode::toLower));
    }

    @Test
    void nfdMatchesLlamaCpp() {
        assertEquals("2c4e4eaf", crc(Unicode::nfdFirst));
    }

    @Test
    void spotChecks() {
        assertEquals(Unicode.LETTER, Unicode.flags('a'));
        assertEquals(Unicode.NUMBER, Unicode.flags(0x00BD));                      // ½ is No
        assertEquals(Unicode.SEPARATOR | Unicode.WHITESPACE, Unicode.flags(0x00A0));
        assertEquals(Unicode.CONTROL | Unicode.WHITESPACE, Unicode.flags(0x0085)); // NEL: Cc and White_Space
        assertEquals(Unicode.CONTROL, Unicode.flags(0x200D));                      // ZWJ is Cf
        assertEquals(Unicode.UNDEFINED, Unicode.flags(0x0897));                    // new in Unicode 16: unassigned for llama.cpp
        assertEquals(0, Unicode.flags(0x110000));
        assertTrue(Unicode.isNewInUnicode16(0x1FBEF));
        assertFalse(Unicode.isNewInUnicode16(0x1FBF0));
        assertEquals('e', Unicode.nfdFirst(0x00E9));
        assertEquals(0x1100, Unicode.nfdFirst(0xAC00)); // Hangul syllable -> leading jamo
        assertEquals('i', Unicode.toLower(0x0130));
    }
}
