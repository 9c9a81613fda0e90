package ggufc.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A tensor shape in IR order: outermost dimension first, the last one contiguous. */
public record Shape(List<Dim> dims) {
    public Shape {
        dims = List.copyOf(dims);
    }

    public static Shape of(Object... dims) {
        List<Dim> ds = new ArrayList<>();
        for (Object d : dims) {
            ds.add(switch (d) {
                case Dim dim -> dim;
                case String s -> Dim.sym(s);
                case Number n -> Dim.of(n.longValue());
                default -> throw new IllegalArgumentException("not a dimension: " + d);
            });
        }
        return new Shape(ds);
    }

    public static Shape of(long... dims) {
        List<Dim> ds = new ArrayList<>();
        for (long d : dims) ds.add(Dim.of(d));
        return new Shape(ds);
    }

    public int rank() { return dims.size(); }

    public Dim dim(int i) { return dims.get(i < 0 ? dims.size() + i : i); }

    /** The last dimension. */
    public Dim last() { return dims.get(dims.size() - 1); }

    public boolean isStatic() { return dims.stream().noneMatch(Dim::isSymbolic); }

    /** Concrete sizes with the symbols bound; throws naming an unbound symbol. */
    public long[] resolve(Map<String, Long> symbols) {
        long[] r = new long[dims.size()];
        for (int i = 0; i < r.length; i++) {
            Dim d = dims.get(i);
            if (d.isSymbolic()) {
                Long v = symbols.get(d.symbol());
                if (v == null) throw new IllegalArgumentException("dimension symbol '" + d.symbol() + "' is not bound");
                r[i] = v;
            } else {
                r[i] = d.size();
            }
        }
        return r;
    }

    /** Product of the static dimensions, or -1 when any is symbolic. */
    public long staticElements() {
        long n = 1;
        for (Dim d : dims) {
            if (d.isSymbolic()) return -1;
            n *= d.size();
        }
        return n;
    }

    public Shape replaceLast(Dim d) {
        List<Dim> ds = new ArrayList<>(dims);
        ds.set(ds.size() - 1, d);
        return new Shape(ds);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.size(); i++) {
            if (i > 0) sb.append('x');
            sb.append(dims.get(i));
        }
        return sb.toString();
    }
}
