package ggufc.gguf;

import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * An immutable list of UTF-8 strings kept as one byte array (a copy of the file region, length
 * prefixes included) plus offsets, decoded on first access and cached. Opening a file with a
 * 150k-token vocabulary then costs one copy instead of 150k String constructions.
 */
final class PackedStrings extends AbstractList<String> implements RandomAccess {
    private final byte[] blob;
    /** start of string i in blob; {@code starts[size]} is the end of the last one plus the prefix width */
    private final int[] starts;
    private final int prefix;
    private volatile String[] cache;

    PackedStrings(byte[] blob, int[] starts, int prefix) {
        this.blob = blob;
        this.starts = starts;
        this.prefix = prefix;
    }

    @Override
    public String get(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("index " + i + " of " + size());
        String[] c = cache;
        if (c == null) cache = c = new String[size()];
        String s = c[i];
        if (s == null) c[i] = s = new String(blob, starts[i], starts[i + 1] - prefix - starts[i], StandardCharsets.UTF_8);
        return s;
    }

    @Override
    public int size() { return starts.length - 1; }
}
