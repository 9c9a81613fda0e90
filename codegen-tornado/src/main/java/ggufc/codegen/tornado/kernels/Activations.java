package ggufc.codegen.tornado.kernels;

import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.Val;

/** Scalar activation functions, written as the reference interpreter computes them. */
final class Activations {
    private Activations() {}

    /** x * sigmoid(x) = x / (1 + exp(-x)). */
    static Val silu(KernelBuilder b, Val x) { return b.div(x, b.add(b.f(1), b.exp(b.neg(x)))); }

    /** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))). */
    static Val gelu(KernelBuilder b, Val x) {
        Val inner = b.mul(b.mul(b.f(0.7978845608028654), x), b.add(b.f(1), b.mul(b.mul(b.f(0.044715), x), x)));
        return b.mul(b.mul(b.f(0.5), x), b.add(b.f(1), b.tanh(inner)));
    }
}
