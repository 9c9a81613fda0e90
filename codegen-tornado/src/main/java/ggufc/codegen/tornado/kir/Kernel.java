package ggufc.codegen.tornado.kir;

import java.util.List;

/**
 * One kernel: parameters in argument order, a 1-D work-group of {@code localSize} work-items
 * (grids may have two dimensions of work-groups), and a structured body. Sizes known when the model
 * is compiled are constants in the body; only the step's symbols (tokens T, context length L) come
 * in as scalar parameters.
 */
public record Kernel(String name, String doc, List<KParam> params, int localSize, List<Instr> body) {
    public Kernel {
        params = List.copyOf(params);
        body = List.copyOf(body);
        if (!name.matches("[a-z][a-z0-9_]*")) throw new IllegalArgumentException("bad kernel name '" + name + "'");
        if (localSize < 1) throw new IllegalArgumentException(name + ": work-group size " + localSize);
    }

    public List<Buf> buffers() { return params.stream().filter(p -> p instanceof Buf).map(p -> (Buf) p).toList(); }

    /** Index of the parameter called {@code name}. */
    public int paramIndex(String paramName) {
        for (int i = 0; i < params.size(); i++) if (params.get(i).name().equals(paramName)) return i;
        throw new IllegalArgumentException(name + " has no parameter '" + paramName + "'");
    }
}
