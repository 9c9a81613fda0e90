package ggufc.codegen.tornado.kir;

/** A kernel parameter: a global buffer or a scalar. */
public sealed interface KParam permits Buf, Val {
    String name();
}
