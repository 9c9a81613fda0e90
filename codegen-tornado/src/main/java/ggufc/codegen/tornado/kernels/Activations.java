package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Val;

/** Scalar activation functions, written as the reference interpreter computes them. */
final class Activations {
    private Activations() {}

    /** x * sigmoid(x) = x / (1 + exp(-x)). */
    static Val silu(KernelBuilder b, Val x) { return b.div(x, b.add(b.f(1), b.exp(b.neg(x)))); }

    /**
     * GELU as ggml's CPU backend (the IR's definition): the tanh approximation 0.5 h (1 + tanh(sqrt(2/pi) h
     * (1 + 0.044715 h^2))) at h = f16(x), rounded to f16; 0 for x <= -10, x for x >= 10. The f16
     * roundings go through a one-element private float array written and read as a half
     * (vstore_half_rte / cvt.rn.f16.f32, then vload_half): no half arithmetic or half variables needed.
     */
    static Val gelu(KernelBuilder b, Val x) {
        Buf half = b.privateArray("gelu_h", Elem.F32, 1);
        b.store(half, b.i(0), x, Elem.F16);
        Val h = b.load(half, b.i(0), Elem.F16);
        Val inner = b.mul(b.mul(b.f(0.7978845608028654), h), b.add(b.f(1), b.mul(b.mul(b.f(0.044715), h), h)));
        b.store(half, b.i(0), b.mul(b.mul(b.f(0.5), h), b.add(b.f(1), b.tanh(inner))), Elem.F16);
        Val g = b.load(half, b.i(0), Elem.F16);
        return b.select(b.le(x, b.f(-10)), b.f(0), b.select(b.le(b.f(10), x), x, g));
    }

    /** Logit soft-capping as the interpreter: cap * tanh(x * f32(1 / cap)). */
    static Val softcap(KernelBuilder b, Val x, double cap) {
        float c = (float) cap;
        return b.mul(b.f(c), b.tanh(b.mul(x, b.f(1.0f / c))));
    }
}
