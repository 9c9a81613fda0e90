package ggufc.runtime.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Structure-aware mutations of GGUF files: header fields set to boundary values (counts, string and
 * array lengths, value types, dimensions, tensor types, offsets, numbers and floats), truncation,
 * splices from another place or another file, tensor infos swapped, bytes flipped, inserted or
 * deleted in the header. One to three per case, described in words for the report.
 */
final class GgufMutator {
    record Seed(String name, byte[] bytes, GgufLayout layout) {}

    record Mutant(String seed, byte[] bytes, String what) {}

    private final List<Seed> seeds;

    GgufMutator(List<Seed> seeds) {
        if (seeds.isEmpty()) throw new IllegalArgumentException("no seed files");
        this.seeds = seeds;
    }

    static Seed seed(String name, byte[] bytes) { return new Seed(name, bytes, GgufLayout.of(bytes)); }

    Mutant mutate(Random r) {
        Seed s = seeds.get(r.nextInt(seeds.size()));
        byte[] b = s.bytes().clone();
        StringBuilder what = new StringBuilder();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            if (what.length() > 0) what.append("; ");
            b = once(s, b, r, what);
        }
        return new Mutant(s.name(), b, what.toString());
    }

    private static final long[] BOUNDARIES = {0, 1, 2, 3, 4, 7, 8, 31, 32, 63, 64, 255, 256, 4096, 65535, 65536, 0x7fffffffL, 0x80000000L, 0xffffffffL,
            0x100000000L, 1L << 40, 1L << 62, Long.MAX_VALUE, -1, Long.MIN_VALUE};
    private static final float[] FLOATS = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f, 1e30f, Float.MIN_VALUE, Float.MAX_VALUE};

    private byte[] once(Seed s, byte[] b, Random r, StringBuilder what) {
        GgufLayout l = s.layout();
        int op = r.nextInt(100);
        if (op < 55) return setField(l, b, r, what);
        if (op < 63) {
            int at = r.nextInt(4) == 0 ? r.nextInt(b.length + 1) : r.nextInt(Math.min(b.length, l.headerEnd + 64) + 1);
            what.append("truncate at ").append(at);
            return Arrays.copyOf(b, at);
        }
        if (op < 71) return splice(s, b, r, what);
        if (op < 78 && l.tensorInfos.size() > 1) return swapTensorFields(l, b, r, what);
        if (op < 90) {
            int k = 1 + r.nextInt(8);
            what.append("flip ").append(k).append(" bytes");
            for (int i = 0; i < k; i++) {
                int at = r.nextBoolean() ? r.nextInt(Math.max(1, Math.min(b.length, l.headerEnd))) : r.nextInt(Math.max(1, b.length));
                if (at < b.length) b[at] ^= (byte) (1 << r.nextInt(8));
            }
            return b;
        }
        // insert or delete bytes inside the header: everything after shifts
        int at = r.nextInt(Math.max(1, Math.min(b.length, l.headerEnd)));
        int len = 1 + r.nextInt(16);
        if (r.nextBoolean()) {
            what.append("insert ").append(len).append(" bytes at ").append(at);
            byte[] out = new byte[b.length + len];
            System.arraycopy(b, 0, out, 0, at);
            for (int i = 0; i < len; i++) out[at + i] = (byte) r.nextInt(256);
            System.arraycopy(b, at, out, at + len, b.length - at);
            return out;
        }
        len = Math.min(len, b.length - at);
        what.append("delete ").append(len).append(" bytes at ").append(at);
        byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + len, out, at, b.length - at - len);
        return out;
    }

    private static byte[] setField(GgufLayout l, byte[] b, Random r, StringBuilder what) {
        // a kind first, then a field of it: counts and tensor types are as likely as vocabulary strings
        GgufLayout.Kind[] kinds = GgufLayout.Kind.values();
        GgufLayout.Kind k = kinds[r.nextInt(kinds.length)];
        List<GgufLayout.Field> of = l.fields.stream().filter(f -> f.kind() == k).toList();
        if (of.isEmpty()) of = l.fields;
        GgufLayout.Field f = of.get(r.nextInt(of.size()));
        if (f.offset() + f.width() > b.length) return b;
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long old = read(bb, f);
        long v;
        if (f.kind() == GgufLayout.Kind.FLOAT) {
            float x = FLOATS[r.nextInt(FLOATS.length)];
            v = f.width() == 4 ? Float.floatToRawIntBits(x) : Double.doubleToRawLongBits(x);
        } else if (f.kind() == GgufLayout.Kind.TENSOR_TYPE || f.kind() == GgufLayout.Kind.VALUE_TYPE || f.kind() == GgufLayout.Kind.ARRAY_TYPE) {
            v = r.nextInt(4) == 0 ? BOUNDARIES[r.nextInt(BOUNDARIES.length)] : r.nextInt(40);
        } else {
            v = switch (r.nextInt(6)) {
                case 0 -> old + 1;
                case 1 -> old - 1;
                case 2 -> old * 2;
                case 3 -> old / 2;
                case 4 -> r.nextInt(1 << 16);
                default -> BOUNDARIES[r.nextInt(BOUNDARIES.length)];
            };
        }
        write(bb, f, v);
        what.append(f.kind().name().toLowerCase()).append(" at ").append(f.offset()).append(": ").append(old).append(" -> ").append(read(bb, f));
        return b;
    }

    private static long read(ByteBuffer bb, GgufLayout.Field f) {
        return switch (f.width()) {
            case 1 -> bb.get(f.offset());
            case 2 -> bb.getShort(f.offset());
            case 4 -> Integer.toUnsignedLong(bb.getInt(f.offset()));
            default -> bb.getLong(f.offset());
        };
    }

    private static void write(ByteBuffer bb, GgufLayout.Field f, long v) {
        switch (f.width()) {
            case 1 -> bb.put(f.offset(), (byte) v);
            case 2 -> bb.putShort(f.offset(), (short) v);
            case 4 -> bb.putInt(f.offset(), (int) v);
            default -> bb.putLong(f.offset(), v);
        }
    }

    private byte[] splice(Seed s, byte[] b, Random r, StringBuilder what) {
        Seed from = seeds.get(r.nextInt(seeds.size()));
        int len = 1 + r.nextInt(r.nextBoolean() ? 64 : 4096);
        int src = r.nextInt(Math.max(1, from.bytes().length - len));
        int dst = r.nextBoolean() ? r.nextInt(Math.max(1, Math.min(b.length, s.layout().headerEnd))) : r.nextInt(Math.max(1, b.length));
        len = Math.min(len, Math.min(from.bytes().length - src, b.length - dst));
        if (len <= 0) return b;
        System.arraycopy(from.bytes(), src, b, dst, len);
        what.append("splice ").append(len).append(" bytes of ").append(from.name()).append('@').append(src).append(" at ").append(dst);
        return b;
    }

    /** Two tensor infos exchange their type, a dimension or their offset (the rest of each stays). */
    private static byte[] swapTensorFields(GgufLayout l, byte[] b, Random r, StringBuilder what) {
        GgufLayout.Kind k = switch (r.nextInt(3)) {
            case 0 -> GgufLayout.Kind.TENSOR_TYPE;
            case 1 -> GgufLayout.Kind.TENSOR_DIM;
            default -> GgufLayout.Kind.TENSOR_OFFSET;
        };
        List<GgufLayout.Field> of = l.fields.stream().filter(f -> f.kind() == k).toList();
        if (of.size() < 2) return b;
        GgufLayout.Field x = of.get(r.nextInt(of.size())), y = of.get(r.nextInt(of.size()));
        if (x.offset() + x.width() > b.length || y.offset() + y.width() > b.length || x.width() != y.width()) return b;
        byte[] tmp = Arrays.copyOfRange(b, x.offset(), x.offset() + x.width());
        System.arraycopy(b, y.offset(), b, x.offset(), x.width());
        System.arraycopy(tmp, 0, b, y.offset(), tmp.length);
        what.append("swap ").append(k.name().toLowerCase()).append(" at ").append(x.offset()).append(" and ").append(y.offset());
        return b;
    }
}
