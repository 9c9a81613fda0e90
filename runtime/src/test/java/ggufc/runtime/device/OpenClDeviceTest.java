package ggufc.runtime.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Scalar;
import ggufc.codegen.tornado.kir.Val;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The OpenCL binding on PoCL: build, upload, launch, read back; build errors carry the compiler log; close releases everything. */
class OpenClDeviceTest {
    @Test
    void sumsRowsWithAWorkGroupReduction() {
        KernelBuilder b = new KernelBuilder("row_sum", 16);
        Buf x = b.input("x", Elem.F32);
        Buf y = b.output("y", Elem.F32);
        Val n = b.scalarParam("n", Scalar.I32);
        Buf scratch = b.localArray("scratch", Elem.F32, 16);
        Val row = b.groupId(0);
        Val lid = b.localId();
        Val acc = b.var("acc", b.f(0));
        b.loop("i", lid, n, b.i(16), i -> b.assign(acc, b.add(acc, b.load(x, b.mad(i, row, n)))));
        Val s = b.reduceSum(acc, scratch);
        b.ifThen(b.eq(lid, b.i(0)), () -> b.store(y, row, s));
        Kernel k = b.build();
        try (OpenClDevice d = OpenClDevice.open(0); Arena a = Arena.ofConfined()) {
            int rows = 3, cols = 100;
            MemorySegment host = a.allocate(4L * rows * cols);
            for (int i = 0; i < rows * cols; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % cols);
            Device.Buffer bx = d.allocate(4L * rows * cols), by = d.allocate(4L * rows);
            d.write(bx, 0, host);
            Device.Module m = d.load(List.of(k));
            d.launch(m.kernel("row_sum"), new long[] {rows, 1}, new Object[] {bx, by, cols});
            MemorySegment out = a.allocate(4L * rows);
            d.read(by, 0, out);
            for (int r = 0; r < rows; r++) assertEquals(4950f, out.getAtIndex(ValueLayout.JAVA_FLOAT, r));
            assertEquals(2, d.liveBuffers());
        }
    }

    @Test
    void buildErrorsCarryTheCompilerLog() {
        KernelBuilder b = new KernelBuilder("bad", 1);
        Buf y = b.output("y", Elem.F32);
        b.store(y, b.i(0), b.f(1));
        Kernel good = b.build();
        // a kernel whose name is a C keyword cannot compile: the message must say so and carry the log
        Kernel bad = new Kernel("float", "", good.params(), 1, good.body());
        try (OpenClDevice d = OpenClDevice.open(0)) {
            DeviceException e = org.junit.jupiter.api.Assertions.assertThrows(DeviceException.class, () -> d.load(List.of(bad)));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("building the OpenCL C program failed on opencl:0:\n"), e.getMessage());
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("error"), e.getMessage());
        }
    }
}
