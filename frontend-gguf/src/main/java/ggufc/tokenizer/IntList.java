package ggufc.tokenizer;

import java.util.Arrays;

/** Growable int array. */
final class IntList {
    private int[] a;
    private int n;

    IntList() { this(16); }
    IntList(int capacity) { a = new int[Math.max(capacity, 4)]; }

    void add(int v) {
        if (n == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[n++] = v;
    }

    void addAll(int[] vs) { for (int v : vs) add(v); }
    int get(int i) { return a[i]; }
    int size() { return n; }
    boolean isEmpty() { return n == 0; }
    void clear() { n = 0; }
    void truncate(int size) { n = size; }
    int[] toArray() { return Arrays.copyOf(a, n); }
}
