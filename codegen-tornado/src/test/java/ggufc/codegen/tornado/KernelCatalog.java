package ggufc.codegen.tornado;

import ggufc.codegen.tornado.kernels.AttentionKernels;
import ggufc.codegen.tornado.kernels.ElementKernels;
import ggufc.codegen.tornado.kernels.MatvecKernels;
import ggufc.codegen.tornado.kernels.MatvecKernels.Epilogue;
import ggufc.codegen.tornado.kernels.MoeKernels;
import ggufc.codegen.tornado.kernels.NormKernels;
import ggufc.codegen.tornado.kernels.RopeKernels;
import ggufc.codegen.tornado.kernels.SamplingKernels;
import ggufc.codegen.tornado.kernels.WeightFormat;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Kernel;
import java.util.ArrayList;
import java.util.List;

/** One kernel of every family and variant (every weight format, epilogue, cache type, rope mode), for the renderer checks. */
final class KernelCatalog {
    private KernelCatalog() {}

    static List<Kernel> all() {
        List<Kernel> r = new ArrayList<>();
        for (WeightFormat f : WeightFormat.values()) {
            for (Epilogue e : Epilogue.values()) r.add(MatvecKernels.matvec(f, 512, 48, e));
            r.add(MatvecKernels.multi(f, 512, new int[] {64, 16, 16}, false));
            if (f.takesQ8Activations()) {
                r.add(MatvecKernels.multi(f, 512, new int[] {64, 16, 16}, true));
                r.add(MatvecKernels.matvec(f, 512, 48, Epilogue.GLU_SILU, 48, 0, true));
            }
            r.add(MoeKernels.matvecId(f, 512, 48, 8, false, false, false));
            r.add(MoeKernels.matvecId(f, 512, 48, 8, true, true, false));
            if (f.takesQ8Activations()) r.add(MoeKernels.matvecId(f, 512, 48, 8, true, false, true));
            r.add(ElementKernels.embed(f, 256));
            r.add(ElementKernels.dequant(f, 256));
        }
        r.add(MatvecKernels.matvec(WeightFormat.F16, 172, 64, Epilogue.RESIDUAL));
        r.add(MatvecKernels.matvec(WeightFormat.F32, 65, 7, Epilogue.NONE, 21, 7));
        r.add(NormKernels.rmsNorm(4096, 1e-5));
        r.add(NormKernels.rmsNorm(64, 1e-6));
        r.add(NormKernels.softmax(512, 1));
        r.add(NormKernels.softmax(0, 1));
        r.add(NormKernels.softmax(32000, 1 / 0.7));
        for (boolean neox : new boolean[] {false, true}) {
            RopeKernels.Rope rope = new RopeKernels.Rope(neox, 64, 10000f, 1f);
            r.add(RopeKernels.rope(32, 128, rope, null));
            r.add(RopeKernels.rope(8, 128, rope, Elem.F32));
            r.add(RopeKernels.rope(8, 128, rope, Elem.F16));
        }
        r.add(RopeKernels.kvWrite(8, 128, Elem.F16));
        for (Elem cache : new Elem[] {Elem.F32, Elem.F16}) {
            var s = new AttentionKernels.Shape(32, 8, 128, 0.088388f, cache);
            r.add(AttentionKernels.decode(s));
            r.add(AttentionKernels.prompt(s));
        }
        r.add(AttentionKernels.decode(new AttentionKernels.Shape(8, 8, 256, 0.0625f, Elem.F32)));
        // Gemma 2's soft-capped scores with a sliding window
        var capped = new AttentionKernels.Shape(8, 4, 256, 0.0625f, Elem.F16, 4096, 50f);
        r.add(AttentionKernels.decode(capped));
        r.add(AttentionKernels.prompt(capped));
        for (ElementKernels.Unary u : ElementKernels.Unary.values()) r.add(ElementKernels.unary(u, 0.5));
        for (ElementKernels.Binary b : ElementKernels.Binary.values()) r.add(ElementKernels.binary(b, 4096));
        r.add(ElementKernels.slice(4096, 0, 4096, Elem.F32));
        r.add(ElementKernels.slice(1024, 0, 1024, Elem.F16));
        r.add(ElementKernels.slice(6144, 4096, 1024, Elem.F32));
        r.add(ElementKernels.attnScores(32, 8, 128, 0.088388f));
        r.add(ElementKernels.causalMask());
        r.add(ElementKernels.attnValues(32, 8, 128));
        r.add(SamplingKernels.argmax(32000));
        r.add(MoeKernels.topk(128, 8));
        r.add(MoeKernels.takeAlong(128, 8));
        r.add(MoeKernels.sumNormalize(8, 6.103515625e-5));
        r.add(MoeKernels.weightedSum(8, 2048));
        r.add(ElementKernels.quantizeQ8_0(4096));
        r.add(ElementKernels.toHalf());
        return r;
    }
}
