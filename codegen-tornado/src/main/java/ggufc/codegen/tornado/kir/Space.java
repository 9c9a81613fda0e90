package ggufc.codegen.tornado.kir;

/** Where a buffer lives: device memory (kernel parameters), work-group shared memory, or per work-item. */
public enum Space { GLOBAL, LOCAL, PRIVATE }
