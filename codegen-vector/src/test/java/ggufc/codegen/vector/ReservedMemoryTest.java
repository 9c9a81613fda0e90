package ggufc.codegen.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** KV caches are reserved, not touched: a 4 GiB cache costs resident memory only where written. */
class ReservedMemoryTest {
    /** This process's resident set in bytes (Linux; -1 elsewhere). */
    static long rss() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) return -1;
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        return -1;
    }

    @Test
    void largeReservationTakesMemoryOnlyWhereWritten() throws IOException {
        long size = 4L << 30;
        try (Arena arena = Arena.ofConfined()) {
            long before = rss();
            MemorySegment s = ReservedMemory.allocate(arena, size);
            assertEquals(size, s.byteSize());
            // zero everywhere, also far apart
            for (long off = 0; off < size; off += 512L << 20) assertEquals(0f, s.get(ValueLayout.JAVA_FLOAT, off));
            for (long off = 0; off < (8L << 20); off += 4) s.set(ValueLayout.JAVA_FLOAT, off, 1f); // the first 8 MiB: positions in use
            long grown = rss() - before;
            if (before > 0) assertTrue(grown < (256L << 20), "4 GiB reserved and 8 MiB written grew the resident set by " + grown + " bytes");
            assertEquals(1f, s.get(ValueLayout.JAVA_FLOAT, 4L << 20));
            ReservedMemory.zero(s);
            assertEquals(0f, s.get(ValueLayout.JAVA_FLOAT, 4L << 20));
            assertEquals(0f, s.get(ValueLayout.JAVA_FLOAT, 0));
        }
    }

    @Test
    void smallOddSizesAreZeroedToo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = ReservedMemory.allocate(arena, 100);
            s.fill((byte) 7);
            ReservedMemory.zero(s);
            for (long i = 0; i < 100; i++) assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i));
        }
    }
}
