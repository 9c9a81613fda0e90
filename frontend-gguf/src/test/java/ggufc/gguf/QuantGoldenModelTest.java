package ggufc.gguf;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our quantizers against llama.cpp's {@code llama-quantize --pure} on a synthetic llama model
 * (SyntheticLlama, stress rows included), from the committed goldens in quant-golden/model
 * (see quant-golden/README.md). The F32 weights are regenerated here (they are a pure function
 * of the config), checked against the recorded sha256 of the F32 file llama-quantize read.
 */
class QuantGoldenModelTest {
    private static final String DIR = "quant-golden/model/";

    record Quant(String ftype, String tensor, GgmlType type, long bytes, String sha256) {}
    record Prefix(String ftype, String tensor, int rows, int offset, int bytes) {}

    private static SyntheticLlama.Config config;
    private static final Map<String, long[]> shapes = new LinkedHashMap<>();
    private static final Map<String, String> sourceSha = new HashMap<>();
    private static final List<Quant> quants = new ArrayList<>();
    private static final List<Prefix> prefixes = new ArrayList<>();
    private static final Map<String, float[]> weights = new HashMap<>();

    @BeforeAll
    static void load() {
        String text = new String(TestFiles.resource(DIR + "manifest.tsv"), java.nio.charset.StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split("\t");
            switch (f[0]) {
                case "config" -> config = parseConfig(f[1]);
                case "source" -> {
                    String[] d = f[2].split("x");
                    long[] ne = new long[d.length];
                    for (int i = 0; i < d.length; i++) ne[i] = Long.parseLong(d[i]);
                    shapes.put(f[1], ne);
                    sourceSha.put(f[1], f[3]);
                }
                case "quant" -> quants.add(new Quant(f[1], f[2], GgmlType.valueOf(f[3]), Long.parseLong(f[4]), f[5]));
                case "prefix" -> prefixes.add(new Prefix(f[1], f[2], Integer.parseInt(f[3]), Integer.parseInt(f[4]), Integer.parseInt(f[5])));
                default -> fail("unknown manifest line " + line);
            }
        }
        for (Map.Entry<String, long[]> e : shapes.entrySet()) weights.put(e.getKey(), SyntheticLlama.weights(config, e.getKey(), e.getValue()));
    }

    static SyntheticLlama.Config parseConfig(String s) {
        Map<String, String> m = new HashMap<>();
        for (String kv : s.split(" ")) m.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        return SyntheticLlama.Config.of(Integer.parseInt(m.get("n_embd")), Integer.parseInt(m.get("n_ff")), Integer.parseInt(m.get("n_layer")),
                        Integer.parseInt(m.get("n_head")), Integer.parseInt(m.get("n_head_kv")), Integer.parseInt(m.get("ctx")))
                .withSeed(Long.parseLong(m.get("seed"))).withStressBlocks(Boolean.parseBoolean(m.get("stress")))
                .withTiedOutput(Boolean.parseBoolean(m.get("tied")));
    }

    static String sha256(MemorySegment s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.toArray(ValueLayout.JAVA_BYTE)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static MemorySegment quantize(DType t, float[] x) {
        MemorySegment out = Arena.ofAuto().allocate(t.bytesFor(x.length));
        BlockCodecs.quantize(t, x, 0, x.length, out, 0);
        return out;
    }

    @Test
    void sourceWeightsAreTheOnesLlamaCppQuantized() {
        assertEquals(SyntheticLlama.tensors(config, 512).stream().map(SyntheticLlama.TensorSpec::name).toList(), List.copyOf(shapes.keySet()));
        for (String name : shapes.keySet()) {
            assertEquals(sourceSha.get(name), sha256(quantize(DType.F32, weights.get(name))),
                    name + ": SyntheticLlama's weights changed since the goldens were made; rerun quant-golden/regenerate.sh");
        }
    }

    /** (a) every tensor of every llama-quantize output, byte for byte. */
    @Test
    void quantizeGivesLlamaCppsBytesForEveryTensorAndType() {
        Set<GgmlType> seen = new TreeSet<>();
        List<String> bad = new ArrayList<>();
        for (Quant q : quants) {
            MemorySegment ours = quantize(q.type().dtype(), weights.get(q.tensor()));
            assertEquals(q.bytes(), ours.byteSize(), q.ftype() + " " + q.tensor());
            if (!sha256(ours).equals(q.sha256())) bad.add(q.ftype() + " " + q.tensor() + " (" + q.type() + ")");
            seen.add(q.type());
        }
        assertEquals(List.of(), bad, "tensors whose bytes differ from llama-quantize's");
        assertEquals(new TreeSet<>(List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
                GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)), seen);
    }

    /**
     * (b) llama.cpp's stored bytes of the stress rows (first 4 rows of three tensors per type)
     * dequantize exactly as ours do.
     */
    @Test
    void dequantizingLlamaCppsBytesEqualsDequantizingOurs() {
        assertEquals(30, prefixes.size());
        for (Prefix p : prefixes) {
            byte[] file = TestFiles.resource(DIR + "prefix-" + p.ftype() + ".bin");
            GgmlType t = quants.stream().filter(q -> q.ftype().equals(p.ftype()) && q.tensor().equals(p.tensor())).findFirst().orElseThrow().type();
            int n = (int) (p.rows() * shapes.get(p.tensor())[0]);
            float[] theirs = new float[n], ours = new float[n];
            BlockCodecs.dequantize(t.dtype(), MemorySegment.ofArray(file), p.offset(), theirs, 0, n);
            MemorySegment q = quantize(t.dtype(), java.util.Arrays.copyOf(weights.get(p.tensor()), n));
            assertEquals(p.bytes(), q.byteSize());
            assertEquals(-1, q.mismatch(MemorySegment.ofArray(file).asSlice(p.offset(), p.bytes())), p.ftype() + " " + p.tensor() + " stress rows");
            BlockCodecs.dequantize(t.dtype(), q, 0, ours, 0, n);
            assertArrayEquals(theirs, ours, p.ftype() + " " + p.tensor());
        }
    }

    /**
     * (b) normalized mean squared error of quantize+dequantize on the plain rows (row 4 on) of every
     * matrix. The bounds are 1.5x what this data gives, which agrees with the uniform-quantizer
     * estimate step^2/12 (e.g. Q8_0: step = amax/127 with amax about 2.1 sigma for 32 normal
     * values, NMSE about 2.3e-5). The bytes are llama.cpp's (the test above shows they are ours).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void roundTripErrorIsWithinTheTypesBound(DType t) {
        double bound = switch (t) {
            case F16 -> 7e-8; case BF16 -> 4.5e-6;
            case Q4_0 -> 1.0e-2; case Q4_1 -> 9e-3; case Q5_0 -> 2.5e-3; case Q5_1 -> 2e-3;
            case Q8_0, Q8_1 -> 4e-5; case Q8_K -> 6e-5;
            case Q2_K -> 0.125; case Q3_K -> 3.2e-2; case Q4_K -> 7.2e-3; case Q5_K -> 1.8e-3; case Q6_K -> 4.4e-4;
            default -> throw new AssertionError(t);
        };
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            if (e.getValue().length < 2) continue;
            float[] x = weights.get(e.getKey());
            int from = (int) (4 * e.getValue()[0]);
            float[] y = new float[x.length];
            BlockCodecs.dequantize(t, quantize(t, x), 0, y, 0, x.length);
            double se = 0, sx = 0;
            for (int i = from; i < x.length; i++) {
                double d = (double) x[i] - y[i];
                se += d * d;
                sx += (double) x[i] * x[i];
            }
            assertTrue(se / sx < bound, t + " " + e.getKey() + ": NMSE " + se / sx + " above " + bound);
            assertTrue(se / sx > bound / 10, t + " " + e.getKey() + ": NMSE " + se / sx + " implausibly small for " + t);
        }
    }
}
