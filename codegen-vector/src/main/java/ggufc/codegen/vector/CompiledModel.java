package ggufc.codegen.vector;

/**
 * A step graph ready to run on the CPU: the class generated for a model (see {@link JavaEmitter})
 * or the {@link ggufc.codegen.vector.plan.PlanExecutor} that walks the same plan without
 * generated code. Not thread-safe: one step at a time.
 */
public interface CompiledModel extends AutoCloseable {
    /**
     * Runs one step of {@code T} tokens ({@code 1 <= T <= maxTokens()}); {@code L} is the context
     * length after it; {@code inputs} in the order of the plan's inputs (token ids, positions).
     */
    void step(int T, int L, int[][] inputs);

    /** The buffer of output {@code i} (plan order) after the last step; its first elements are the value. */
    float[] output(int i);

    /** Tokens one step may take (the buffers' size). */
    int maxTokens();

    /** Empties the KV caches. */
    void reset();

    @Override
    default void close() {}
}
