package ggufc.codegen.tornado.lower;

import ggufc.ir.Dim;
import ggufc.ir.Shape;

/**
 * A size known when a step runs: ceil((c + t*T + l*L + tl*T*L) / div) for the step's token count T
 * and context length L. Grid sizes, element counts and byte counts of a launch plan are extents.
 */
public record Extent(long c, long t, long l, long tl, long div) {
    public Extent {
        if (div <= 0) throw new IllegalArgumentException("divisor " + div);
    }

    public static Extent of(long c) { return new Extent(c, 0, 0, 0, 1); }

    public static final Extent ONE = of(1);
    public static final Extent T = new Extent(0, 1, 0, 0, 1);
    public static final Extent L = new Extent(0, 0, 1, 0, 1);

    /** Element count of a shape whose symbols are T and L (each at most once). */
    public static Extent elements(Shape s) {
        long c = 1;
        boolean hasT = false, hasL = false;
        for (Dim d : s.dims()) {
            if (!d.isSymbolic()) c *= d.size();
            else if (d.symbol().equals("T") && !hasT) hasT = true;
            else if (d.symbol().equals("L") && !hasL) hasL = true;
            else throw new IllegalArgumentException("shape " + s + ": only the symbols T and L (once each) are supported on GPU targets");
        }
        if (hasT && hasL) return new Extent(0, 0, 0, c, 1);
        if (hasT) return new Extent(0, c, 0, 0, 1);
        if (hasL) return new Extent(0, 0, c, 0, 1);
        return of(c);
    }

    public long eval(long tv, long lv) {
        long v = c + t * tv + l * lv + tl * tv * lv;
        return Math.floorDiv(v + div - 1, div);
    }

    public Extent times(long k) {
        if (div != 1) throw new IllegalStateException("scaling a divided extent");
        return new Extent(c * k, t * k, l * k, tl * k, 1);
    }

    public Extent plus(Extent o) {
        if (div != 1 || o.div != 1) throw new IllegalStateException("adding divided extents");
        return new Extent(c + o.c, t + o.t, l + o.l, tl + o.tl, 1);
    }

    public Extent ceilDiv(long k) {
        if (div != 1) throw new IllegalStateException("dividing twice");
        return new Extent(c, t, l, tl, k);
    }

    public boolean isConstant() { return t == 0 && l == 0 && tl == 0; }

    /** C/Java expression over the variables {@code T} and {@code L}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        term(sb, tl, "T*L");
        term(sb, t, "T");
        term(sb, l, "L");
        if (c != 0 || sb.isEmpty()) {
            if (!sb.isEmpty()) sb.append(c < 0 ? " - " : " + ").append(Math.abs(c));
            else sb.append(c);
        }
        if (div == 1) return sb.toString();
        return "ceil((" + sb + ") / " + div + ")";
    }

    private static void term(StringBuilder sb, long k, String v) {
        if (k == 0) return;
        if (!sb.isEmpty()) sb.append(k < 0 ? " - " : " + ");
        else if (k < 0) sb.append("-");
        long a = Math.abs(k);
        sb.append(a == 1 ? v : a + "*" + v);
    }
}
