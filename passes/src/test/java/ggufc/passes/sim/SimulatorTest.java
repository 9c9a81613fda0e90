package ggufc.passes.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.Graph;
import ggufc.ir.Verifier;
import ggufc.ir.text.IrParser;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator's roofline, collectives and modes on graphs small enough to cost by hand. */
class SimulatorTest {
    static final DeviceCatalog.Device DEV = new DeviceCatalog.Device("d", "test device", 1, 100, 1, 2, "test");
    static final DeviceCatalog.Link LINK = new DeviceCatalog.Link("l", "test link", 10, 50, "test");
    static final Simulator.Calibration EXACT = new Simulator.Calibration(1, 1);

    /** One matmul of a [4096, 1024] f16 weight (8 MiB) after an embedding: memory-bound at T = 1, compute-bound at T = 4096. */
    static final String UNPLACED = """
            graph @g {
              %0 = input "tokens" : tensor<Txi32>
              %1 = param "token_embd.weight" : tensor<100x1024xf32>
              %2 = embed %1, %0 : tensor<Tx1024xf32>
              %3 = param "blk.0.attn_q.weight" : tensor<4096x1024xf16>
              %4 = matmul %2, %3 : tensor<Tx4096xf32>
              return "y" = %4
            }
            """;

    /** Row-parallel halves of one matmul on two devices, their partial sums all-reduced (one collective, a node per device). */
    static final String PLACED = """
            graph @g {
              %0 = input "x0" {device = 0} : tensor<Tx512xf32>
              %1 = input "x1" {device = 1} : tensor<Tx512xf32>
              %2 = param "blk.0.attn_output.weight[:,0:512]" {device = 0} : tensor<1024x512xf16>
              %3 = param "blk.0.attn_output.weight[:,512:1024]" {device = 1} : tensor<1024x512xf16>
              %4 = param "token_embd.weight" {device = 0} : tensor<100x1024xf32>
              %5 = matmul %0, %2 {device = 0, split = "partial"} : tensor<Tx1024xf32>
              %6 = matmul %1, %3 {device = 1, split = "partial"} : tensor<Tx1024xf32>
              %7 = all_reduce %5, %6 {device = 0, reduce = "f32"} : tensor<Tx1024xf32>
              %8 = all_reduce %5, %6 {device = 1, reduce = "f32"} : tensor<Tx1024xf32>
              %9 = add %7, %7 {device = 0} : tensor<Tx1024xf32>
              return "y" = %9
            }
            """;

    static Graph parse(String s) { return IrParser.parse(s, "test.ir"); }

    @Test
    void decodeIsTheRooflineOfEachKernelPlusItsOverhead() {
        Graph g = parse(UNPLACED);
        Simulator s = new Simulator(g, List.of(DEV), LINK, null, EXACT);
        Simulator.Result r = s.simulate(Simulator.Mode.NONE, new Simulator.Workload(0, 2, 0, 512));
        // embed: reads the token id (4 B) and 1 row (4 KiB), writes 4 KiB; matmul: 8 MiB of weight + 4 KiB in + 16 KiB out; 100 GB/s, 2 us each
        double mem = (4 + 4096 + 4096 + 4096.0 * 1024 * 2 + 4096 + 16384) / 100e9;
        assertEquals(mem, r.decode().memory(), 1e-12);
        assertEquals(2 * 2e-6, r.decode().compute(), 1e-12);
        assertEquals(0, r.decode().communication());
        assertEquals(1 / (mem + 4e-6), r.decodeTps(), 1e-6);
    }

    @Test
    void aLargeBatchIsComputeBound() {
        Simulator s = new Simulator(parse(UNPLACED), List.of(DEV), LINK, null, EXACT);
        Simulator.Result r = s.simulate(Simulator.Mode.NONE, new Simulator.Workload(4096, 1, 0, 4096));
        double flops = 2.0 * 4096 * 1024 * 4096; // 34 GFLOP at 1 TFLOPS: 34 ms, beside ~0.2 ms of memory
        assertTrue(r.prompt().compute() >= flops / 1e12, r.toString());
        assertEquals(4096 / r.prompt().total(), r.promptTps(), 1e-9);
    }

    @Test
    void aPlacedGraphRunsItsDevicesInParallelAndCostsEachAllReduceOnce() {
        Graph g = parse(PLACED);
        assertTrue(Verifier.check(g).isEmpty(), Verifier.check(g).toString());
        Simulator s = new Simulator(g, List.of(DEV, DEV), LINK, null, EXACT);
        assertTrue(s.placed());
        Simulator.Result r = s.simulate(Simulator.Mode.TENSOR, new Simulator.Workload(0, 2, 0, 512));
        assertEquals(1, r.allReducesPerDecodeStep());
        // ring all-reduce of 4 KiB over 2 devices: one of alpha's 3 steps + 2 (n-1)/n B / BW
        assertEquals(50e-6 / 3 + 4096 / 10e9, r.decode().communication(), 1e-12);
        // device 0 (its matmul and the add) is the slower one: max over devices, not the sum
        double dev0 = (1024 * 512 * 2 + 2048 + 4096) / 100e9 + (4096 + 4096) / 100e9, overhead = 2 * 2e-6;
        assertEquals(dev0, r.decode().memory(), 1e-12);
        assertEquals(overhead, r.decode().compute(), 1e-12);
    }

    @Test
    void analyticModesOnAnUnplacedGraph() {
        Graph g = parse(UNPLACED);
        Simulator two = new Simulator(g, List.of(DEV, DEV), LINK, null, EXACT);
        Simulator.Workload w = new Simulator.Workload(512, 128, 0, 512);
        Simulator.Result none = new Simulator(g, List.of(DEV), LINK, null, EXACT).simulate(Simulator.Mode.NONE, w);
        Simulator.Result tensor = two.simulate(Simulator.Mode.TENSOR, w);
        // tensor: the matmul's weight halves per device, 2 all-reduces per layer (one layer) and the logits' all-gather
        assertEquals(2, tensor.allReducesPerDecodeStep());
        assertTrue(tensor.decode().memory() < 0.6 * none.decode().memory(), tensor + " vs " + none);
        assertTrue(tensor.decode().communication() > 3 * 50e-6 / 3);
        Simulator.Result layer = two.simulate(Simulator.Mode.LAYER, w);
        assertEquals(0, layer.allReducesPerDecodeStep());
        assertTrue(layer.note().contains("devices for 1 layers") || layer.decodeTps() == 0, layer.toString());
    }

    @Test
    void impossibleSplitsSayWhy() {
        DeviceCatalog.Device tiny = new DeviceCatalog.Device("t", "tiny", 0.001, 100, 1, 2, "test");
        Simulator.Result r = new Simulator(parse(UNPLACED), List.of(tiny), LINK, null, EXACT).simulate(Simulator.Mode.NONE, new Simulator.Workload(1, 1, 0, 512));
        assertEquals(0, r.decodeTps());
        assertTrue(r.note().startsWith("does not fit: 0.0 GB of weights on device 0 (t, 0 GB)") || r.note().startsWith("does not fit"), r.note());
        assertThrows(IllegalArgumentException.class, () -> new Simulator(parse(UNPLACED), List.of(DEV, DEV), LINK, new double[] {1}, EXACT));
    }

    @Test
    void catalogRowsCiteSourcesAndParse() {
        assertFalse(DeviceCatalog.devices().isEmpty());
        for (var d : DeviceCatalog.devices().values()) assertFalse(d.source().isBlank(), d.id());
        for (var l : DeviceCatalog.links().values()) assertFalse(l.source().isBlank(), l.id());
        for (String id : List.of("rtx3090", "rtx4090", "rtx5090", "a100-80g", "h100-sxm", "h100-pcie", "h200", "mi300x", "strix-halo", "m2-ultra", "cpu-zen5-2c")) {
            assertTrue(DeviceCatalog.devices().containsKey(id), id);
        }
        for (String id : List.of("pcie4", "pcie5", "nvlink3", "nvlink4", "xgmi", "loopback", "host")) assertTrue(DeviceCatalog.links().containsKey(id), id);
        assertEquals(4, DeviceCatalog.parseDevices("4xrtx4090").size());
        assertEquals(List.of("rtx4090", "rtx3090", "rtx3090"), DeviceCatalog.parseDevices("rtx4090,2xrtx3090").stream().map(DeviceCatalog.Device::id).toList());
        assertEquals(1008, DeviceCatalog.device("rtx4090").bandwidthGbs());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceCatalog.parseDevices("2xrtx9999"));
        assertTrue(e.getMessage().startsWith("unknown device 'rtx9999' (known: rtx3090, rtx4090,"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DeviceCatalog.link("pcie9"));
        assertTrue(e.getMessage().startsWith("unknown link 'pcie9' (known: "), e.getMessage());
        assertNull(null);
    }
}
