package ggufc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.lift.LlamaLifter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KvBudgetTest {
    static Path stories() { return Path.of(System.getProperty("ggufc.models", "../../shared/models")).resolve("stories260K.gguf"); }

    @Test
    void contextDefaultsAsLlamaCpp() {
        assertEquals(4096, KvBudget.context(0, 131_072)); // Llama 3.2's training context
        assertEquals(128, KvBudget.context(0, 128));
        assertEquals(100_000, KvBudget.context(100_000, 2048)); // asked for: taken as is
        assertThrows(IllegalArgumentException.class, () -> KvBudget.context(-1, 2048));
    }

    @Test
    void bytesPerTokenCountsEveryCacheAtItsDtype() {
        try (GgufFile f = GgufFile.open(stories())) {
            // stories260K: 5 layers, K and V each 4 KV heads x 8 dims: 5 x 2 x 32 elements per position
            assertEquals(5 * 2 * 32 * 4, KvBudget.bytesPerToken(LlamaLifter.lift(f, new LlamaLifter.Options(64, false, DType.F32))));
            assertEquals(5 * 2 * 32 * 2, KvBudget.bytesPerToken(LlamaLifter.lift(f, new LlamaLifter.Options(64, false, DType.F16))));
            assertEquals(5 * 2 * 32 * 4, KvBudget.bytesPerToken(LlamaLifter.lift(f, new LlamaLifter.Options(64, false, DType.F16)), DType.F32));
        }
    }

    @Test
    void refusalNamesTheFileTheSizesAndTheFlag() {
        GgufException e = assertThrows(GgufException.class, () -> KvBudget.check(Path.of("m.gguf"), 1 << 20, 1280, "on opencl:0", 1L << 30));
        assertEquals("m.gguf: a 1,048,576-token context needs 1.3 GiB of KV cache (1.3 KiB per token), more than the 1.0 GiB of memory on opencl:0; lower --ctx (-c)",
                e.getMessage());
        KvBudget.check(Path.of("m.gguf"), 1 << 20, 1024, "on opencl:0", 1L << 30); // exactly fits
        // a product past 2^63 saturates instead of wrapping to a small number that would pass
        assertThrows(GgufException.class, () -> KvBudget.check(Path.of("m.gguf"), Integer.MAX_VALUE, Long.MAX_VALUE / 2, "available", Long.MAX_VALUE - 1));
    }

    @Test
    void machineMemoryIsSeen() {
        long room = KvBudget.nativeRoom();
        assertTrue(room > (64L << 20) && room < (1L << 50), "available memory " + room);
        assertTrue(KvBudget.heapRoom() <= Runtime.getRuntime().maxMemory());
    }

    @Test
    void sizesReadLikeLlamaCpp() {
        assertEquals("512 B", KvBudget.bytes(512));
        assertEquals("10.0 MiB", KvBudget.bytes(10L << 20));
        assertEquals("119.2 GiB", KvBudget.bytes(99_999_999L * 1280));
    }
}
