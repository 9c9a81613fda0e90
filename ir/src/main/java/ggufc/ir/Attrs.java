package ggufc.ir;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Op attributes, sorted by name so the printed form is stable. Values are Long, Double, Boolean,
 * String, or a List of Long or Double.
 */
public record Attrs(SortedMap<String, Object> map) {
    public static final Attrs EMPTY = new Attrs(new TreeMap<>());

    public Attrs {
        TreeMap<String, Object> copy = new TreeMap<>();
        for (Map.Entry<String, Object> e : map.entrySet()) copy.put(e.getKey(), normalize(e.getKey(), e.getValue()));
        map = Collections.unmodifiableSortedMap(copy);
    }

    public static Attrs of(Object... kv) {
        TreeMap<String, Object> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return new Attrs(m);
    }

    public Attrs with(String key, Object value) {
        TreeMap<String, Object> m = new TreeMap<>(map);
        m.put(key, value);
        return new Attrs(m);
    }

    public Attrs without(String key) {
        TreeMap<String, Object> m = new TreeMap<>(map);
        m.remove(key);
        return new Attrs(m);
    }

    public boolean has(String key) { return map.containsKey(key); }

    public Object get(String key) { return map.get(key); }

    public String string(String key) {
        if (map.get(key) instanceof String s) return s;
        throw new IllegalArgumentException("attribute '" + key + "' missing or not a string");
    }

    public long integer(String key) {
        if (map.get(key) instanceof Long l) return l;
        throw new IllegalArgumentException("attribute '" + key + "' missing or not an integer");
    }

    public double real(String key) {
        Object v = map.get(key);
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return l;
        throw new IllegalArgumentException("attribute '" + key + "' missing or not a number");
    }

    @SuppressWarnings("unchecked")
    public List<Double> reals(String key) {
        if (map.get(key) instanceof List<?> l && (l.isEmpty() || l.get(0) instanceof Double)) return (List<Double>) l;
        if (map.get(key) instanceof List<?> l && l.get(0) instanceof Long) return l.stream().map(x -> ((Long) x).doubleValue()).toList();
        throw new IllegalArgumentException("attribute '" + key + "' missing or not a list of numbers");
    }

    public int size() { return map.size(); }

    private static Object normalize(String key, Object v) {
        return switch (v) {
            case Integer i -> (long) i;
            case Long l -> l;
            case Float f -> (double) f;
            case Double d -> d;
            case Boolean b -> b;
            case String s -> s;
            case DType d -> d.irName();
            case List<?> l -> {
                boolean anyReal = l.stream().anyMatch(x -> x instanceof Double || x instanceof Float);
                yield l.stream().map(x -> anyReal ? (Object) ((Number) x).doubleValue() : (Object) ((Number) x).longValue()).toList();
            }
            case null -> throw new IllegalArgumentException("attribute '" + key + "' is null");
            default -> throw new IllegalArgumentException("attribute '" + key + "' has unsupported type " + v.getClass().getSimpleName());
        };
    }
}
