package ggufc.gguf;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random corruption of the real headers (stories260K v3, the v1 F32 file, the v2 Q8_0 file):
 * bytes overwritten with random or boundary values, biased towards the fixed header and the
 * tensor-info table, sometimes truncated. Each mutant either opens (and then every tensor is
 * usable as an IR tensor) or fails with a GgufException naming the file; within a time bound and
 * with no other throwable (no IndexOutOfBounds, NegativeArraySize, OutOfMemory, ...).
 */
class GgufMutationProperties {
    private record Original(byte[] bytes, long dataOffset, long tensorInfoStart) {}

    private static final Map<String, Original> FILES = new ConcurrentHashMap<>();

    private static Original original(String name) {
        return FILES.computeIfAbsent(name, n -> {
            Path p = TestFiles.model(n);
            try (GgufFile f = GgufFile.open(p)) {
                byte[] b = Files.readAllBytes(p);
                long tis = f.dataOffset();
                for (GgufTensorInfo t : f.tensors()) tis = Math.min(tis, lastIndexOf(b, t.name().getBytes(StandardCharsets.UTF_8), f.dataOffset()));
                return new Original(b, f.dataOffset(), Math.max(0, tis - 8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static long lastIndexOf(byte[] hay, byte[] needle, long before) {
        outer:
        for (int i = (int) Math.min(before, hay.length) - needle.length; i >= 0; i--) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return before;
    }

    @Provide
    Arbitrary<String> files() {
        return Arbitraries.of(TestFiles.STORIES_V3, TestFiles.STORIES_V1, TestFiles.STORIES_Q8_V2);
    }

    private static final long[] INTERESTING = {0, 1, 2, 3, 4, 5, 8, 9, 13, 16, 31, 32, 33, 64, 255, 256, 0x7fff, 0xffff,
            0x7fffffffL, 0x80000000L, 0xffffffffL, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, -1, -32};

    @Property(tries = 600)
    void mutatedHeadersOpenOrFailCleanly(@ForAll("files") String name, @ForAll long seed) {
        Original o = original(name);
        Random r = new Random(seed);
        byte[] b = o.bytes().clone();
        List<String> what = new ArrayList<>();
        int n = 1 + r.nextInt(r.nextBoolean() ? 2 : 8);
        for (int i = 0; i < n; i++) {
            long pos = switch (r.nextInt(3)) {
                case 0 -> r.nextInt(40);
                case 1 -> o.tensorInfoStart() + (long) (r.nextDouble() * (o.dataOffset() - o.tensorInfoStart()));
                default -> (long) (r.nextDouble() * o.dataOffset());
            };
            int p = (int) pos;
            switch (r.nextInt(4)) {
                case 0 -> { b[p] = (byte) r.nextInt(); what.add("byte@" + p + "=" + b[p]); }
                case 1 -> { int bit = r.nextInt(8); b[p] ^= (byte) (1 << bit); what.add("flip@" + p + ":" + bit); }
                case 2 -> {
                    long v = INTERESTING[r.nextInt(INTERESTING.length)];
                    if (p + 4 <= b.length) ByteBuffer.wrap(b, p, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v);
                    what.add("u32@" + p + "=" + v);
                }
                default -> {
                    long v = r.nextInt(4) == 0 ? r.nextLong() : INTERESTING[r.nextInt(INTERESTING.length)];
                    if (p + 8 <= b.length) ByteBuffer.wrap(b, p, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
                    what.add("u64@" + p + "=" + v);
                }
            }
        }
        MemorySegment seg = MemorySegment.ofArray(b);
        if (r.nextInt(10) == 0) {
            long cut = (long) (r.nextDouble() * b.length);
            seg = seg.asSlice(0, cut);
            what.add("cut@" + cut);
        }
        long t0 = System.nanoTime();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long alloc0 = mx.getCurrentThreadAllocatedBytes();
        try (GgufFile f = GgufFile.parse(Path.of(name), seg)) {
            long alloc = mx.getCurrentThreadAllocatedBytes() - alloc0;
            // counts are checked against the bytes present; the only growth is 8/16-bit arrays held as int[]
            assertTrue(alloc < 4 * seg.byteSize() + (4 << 20), name + " mutated " + what + ": parsing allocated " + alloc + " bytes");
            for (GgufTensorInfo t : f.tensors()) {
                f.tensorData(t);
                GgufTensors.irTensor(f, t);
            }
            for (String key : f.metadata().keySet()) {
                String ignored = f.value(key).toString();
            }
        } catch (GgufException e) {
            assertTrue(e.getMessage().startsWith(name + ": "), "message does not name the file: " + e.getMessage());
        } catch (Throwable t) {
            throw new AssertionError(name + " mutated " + what + ": expected a GgufException, got " + t, t);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 3000, name + " mutated " + what + " took " + ms + " ms");
    }
}
