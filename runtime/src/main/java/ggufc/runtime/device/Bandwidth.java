package ggufc.runtime.device;

import ggufc.codegen.tornado.kernels.ElementKernels;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import java.util.List;

/**
 * The memory bandwidth a device reaches in practice: the best of a few device-to-device copies of
 * {@code bytes} (read plus write), with our own copy kernel. Kernel bandwidth fractions in the
 * benchmark report are relative to this figure, not to a datasheet.
 */
public final class Bandwidth {
    private Bandwidth() {}

    /** Bytes per second moved by the best of {@code reps} copies of {@code bytes}. */
    public static double copy(Device d, long bytes, int reps) {
        int n = (int) (bytes / 4);
        Kernel k = ElementKernels.slice(n, 0, n, Elem.F32);
        Device.LoadedKernel lk = d.load(List.of(k)).kernel(k.name());
        Device.Buffer a = d.allocate(4L * n), b = d.allocate(4L * n);
        long groups = (n + ElementKernels.GROUP - 1) / ElementKernels.GROUP;
        Object[] args = {a, b, 0, n};
        d.launch(lk, new long[] {groups, 1}, args);
        d.finish();
        long best = Long.MAX_VALUE;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            d.launch(lk, new long[] {groups, 1}, args);
            d.finish();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return 2.0 * 4 * n / (best / 1e9);
    }
}
