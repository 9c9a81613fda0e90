package ggufc.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/** Concatenates token pieces and releases text only in whole UTF-8 characters. */
final class Utf8StreamDecoder implements StreamDecoder {
    private final IntFunction<byte[]> pieces;
    private byte[] buf = new byte[16];
    private int len;

    Utf8StreamDecoder(IntFunction<byte[]> pieces) { this.pieces = pieces; }

    @Override
    public String push(int id) {
        byte[] p = pieces.apply(id);
        if (len + p.length > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + p.length));
        System.arraycopy(p, 0, buf, len, p.length);
        len += p.length;
        int complete = completePrefix(buf, len);
        if (complete == 0) return "";
        String s = new String(buf, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(buf, complete, buf, 0, len - complete);
        len -= complete;
        return s;
    }

    @Override
    public String flush() {
        String s = len == 0 ? "" : new String(buf, 0, len, StandardCharsets.UTF_8);
        len = 0;
        return s;
    }

    /**
     * Length of the prefix that can be decoded now: everything except a trailing sequence that is a valid but
     * incomplete start of a UTF-8 character.
     */
    static int completePrefix(byte[] b, int n) {
        // find the start of the last (possibly partial) character: at most 3 continuation bytes back
        int i = n - 1;
        int back = 0;
        while (i >= 0 && back < 3 && (b[i] & 0xC0) == 0x80) { i--; back++; }
        if (i < 0) return n;
        int lead = b[i] & 0xFF;
        int need;
        if (lead >= 0xC2 && lead <= 0xDF) need = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) need = 3;
        else if (lead >= 0xF0 && lead <= 0xF4) need = 4;
        else return n; // ASCII or a byte that never starts a character: nothing to wait for
        int have = n - i;
        if (have >= need) return n;
        if (have >= 2) {
            int second = b[i + 1] & 0xFF;
            boolean ok = switch (lead) {
                case 0xE0 -> second >= 0xA0;
                case 0xED -> second <= 0x9F;
                case 0xF0 -> second >= 0x90;
                case 0xF4 -> second <= 0x8F;
                default -> true;
            };
            if (!ok) return n; // can never become valid
        }
        return i;
    }
}
