package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Val;

/** Sampling on the device, so a greedy decode step reads back one int instead of the logits. */
public final class SamplingKernels {
    private SamplingKernels() {}

    public static final int GROUP = 256;

    /**
     * out[0] = index of the largest of the {@code n} logits, the lowest index on ties (as the host
     * sampler and llama.cpp's greedy sampler). One work-group; params logits, out (i32).
     */
    public static Kernel argmax(int n) {
        String name = "argmax_n" + n;
        KernelBuilder b = new KernelBuilder(name, GROUP).doc(name + ": index of the largest logit, first on ties; grid (1)");
        Buf logits = b.input("logits", Elem.F32), out = b.output("out", Elem.I32);
        Buf vals = b.localArray("best_val", Elem.F32, GROUP);
        Buf idxs = b.localArray("best_idx", Elem.I32, GROUP);
        Val lid = b.localId();
        Val best = b.var("best", b.f(Double.NEGATIVE_INFINITY)), at = b.var("at", b.i(n));
        b.loop("i", lid, b.i(n), b.i(GROUP), i -> {
            Val v = b.load(logits, i);
            Val better = b.or(b.lt(best, v), b.eq(at, b.i(n)));
            b.assign(at, b.select(better, i, at));
            b.assign(best, b.select(better, v, best));
        });
        Val[] r = b.reduceArgMax(best, at, vals, idxs);
        b.ifThen(b.eq(lid, b.i(0)), () -> b.store(out, b.i(0), r[1]));
        return b.build();
    }
}
