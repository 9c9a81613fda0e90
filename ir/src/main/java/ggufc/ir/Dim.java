package ggufc.ir;

/**
 * One dimension: a constant size, or a symbol bound when the graph runs ({@code T}: tokens in this
 * step, {@code L}: context length after it). Symbols make one graph serve prefill and decode.
 */
public record Dim(long size, String symbol) {
    public Dim {
        if (symbol == null && size < 0) throw new IllegalArgumentException("negative dimension " + size);
        if (symbol != null && !symbol.matches("[A-Za-z_][A-Za-z0-9_]*")) throw new IllegalArgumentException("bad dimension symbol '" + symbol + "'");
    }

    public static Dim of(long size) { return new Dim(size, null); }

    public static Dim sym(String name) { return new Dim(-1, name); }

    public boolean isSymbolic() { return symbol != null; }

    @Override
    public String toString() { return symbol != null ? symbol : Long.toString(size); }
}
