package ggufc.codegen.tornado;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.codegen.tornado.kir.Buf;
import ggufc.codegen.tornado.kir.Elem;
import ggufc.codegen.tornado.kir.Instr;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.kir.KernelBuilder;
import ggufc.codegen.tornado.kir.KernelVerifier;
import ggufc.codegen.tornado.kir.KernelVerifier.KernelError;
import ggufc.codegen.tornado.kir.Scalar;
import ggufc.codegen.tornado.kir.Space;
import ggufc.codegen.tornado.kir.Val;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The kernel IR verifier rejects what would miscompile or deadlock on a device, naming the kernel and the problem. */
class KernelVerifierTest {
    static void rejects(String expected, Consumer<KernelBuilder> body) {
        KernelBuilder b = new KernelBuilder("k", 4);
        KernelError e = assertThrows(KernelError.class, () -> {
            body.accept(b);
            b.build();
        });
        assertTrue(e.getMessage().startsWith("kernel k: ") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void barrierUnderAConditionCouldDeadlock() {
        rejects("barrier under a condition", b -> b.ifThen(b.lt(b.localId(), b.i(2)), b::barrier));
    }

    @Test
    void reductionsUnderAConditionToo() {
        rejects("barrier under a condition", b -> {
            Buf s = b.localArray("s", Elem.F32, 4);
            b.ifThen(b.lt(b.localId(), b.i(2)), () -> b.reduceSum(b.f(1), s));
        });
    }

    @Test
    void storesToReadOnlyBuffersAreRejected() {
        rejects("store to read-only buffer x", b -> b.store(b.input("x", Elem.F32), b.i(0), b.f(1)));
    }

    @Test
    void valueTypesMustMatch() {
        rejects("is I32, expected F32", b -> b.store(b.output("y", Elem.F32), b.i(0), b.i(1)));
    }

    @Test
    void valuesDefinedInABranchDoNotEscapeIt() {
        rejects("is not defined here", b -> {
            Buf y = b.output("y", Elem.F32);
            Val[] inner = new Val[1];
            b.ifThen(b.lt(b.localId(), b.i(2)), () -> inner[0] = b.add(b.f(1), b.f(2)));
            b.store(y, b.i(0), inner[0]);
        });
    }

    @Test
    void localArraysCannotBeReinterpreted() {
        rejects("only global buffers may be reinterpreted", b -> {
            Buf s = b.localArray("s", Elem.F32, 4);
            b.load(s, b.i(0), Elem.I8);
        });
        rejects("only global buffers may be reinterpreted", b -> {
            Buf s = b.privateArray("s", Elem.I32, 4);
            b.load(s, b.i(0), Elem.F16);
        });
    }

    /** The one exception: an f32 private or local array read and written as halves (GELU's f16 rounding). */
    @Test
    void f32ArraysMayBeViewedAsHalves() {
        KernelBuilder b = new KernelBuilder("half_view", 32);
        Buf y = b.output("y", Elem.F32);
        Buf h = b.privateArray("h", Elem.F32, 1);
        b.store(h, b.i(0), b.f(1.5), Elem.F16);
        b.store(y, b.i(0), b.load(h, b.i(0), Elem.F16));
        b.build();
    }

    @Test
    void reductionsNeedPowerOfTwoGroups() {
        KernelBuilder b = new KernelBuilder("k", 6);
        Buf s = b.localArray("s", Elem.F32, 6);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.reduceSum(b.f(1), s));
        assertTrue(e.getMessage().contains("power-of-two"), e.getMessage());
    }

    @Test
    void parametersMustBeGlobalBuffersOrScalars() {
        Buf local = new Buf(0, "l", Elem.F32, Space.LOCAL, 4, true);
        Kernel k = new Kernel("k", "", List.of(local), 1, List.<Instr>of());
        KernelError e = assertThrows(KernelError.class, () -> KernelVerifier.verify(k));
        assertTrue(e.getMessage().contains("is not a global buffer"), e.getMessage());
        Val p = new Val(1, Scalar.I32, Val.Kind.VALUE, "n", null);
        KernelError e2 = assertThrows(KernelError.class, () -> KernelVerifier.verify(new Kernel("k", "", List.of(p), 1, List.<Instr>of())));
        assertTrue(e2.getMessage().contains("is not of kind PARAM"), e2.getMessage());
    }
}
