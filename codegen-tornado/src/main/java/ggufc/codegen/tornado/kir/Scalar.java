package ggufc.codegen.tornado.kir;

/**
 * Register types of the kernel IR. Every value computed in a kernel is one of these; narrower
 * memory types ({@link Elem}) widen on load, so renderers only ever handle three register kinds.
 */
public enum Scalar { F32, I32, BOOL }
