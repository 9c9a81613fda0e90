package ggufc.codegen.tornado.kernels;

import java.util.Locale;

/** Naming helpers shared by the kernel families. */
public final class Kernels {
    private Kernels() {}

    /** A number as a name token: 1e-05 -> 1em05, 0.125 -> 0p125. */
    static String token(double v) {
        String s = v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Double.toString(v).toLowerCase(Locale.ROOT);
        return s.replace("-", "m").replace(".", "p").replace("+", "");
    }
}
