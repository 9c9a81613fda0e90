package ggufc.codegen.vector.kernels;

/**
 * Per-thread scratch buffers for the kernels, so a step allocates nothing: each use has its own
 * slot (two uses that can be live at once on one thread never share one), and a buffer only grows.
 * The thread is the caller's or a pool worker's; a buffer filled by the caller before a parallel
 * kernel may be read by the workers until the kernel returns.
 */
final class Scratch {
    private Scratch() {}

    static final int ATTENTION = 0, GLU_UP = 1, ACT_LEVELS = 2, ACT_SCALES = 3, ACT_SUMS = 4, ACT_SUMS2 = 5, TILE = 6, ROPE = 7, PACKED = 8, TILE_T = 9, STORE = 10, K_FACTORS = 11, MOE_X = 12, MOE_Y = 13;
    private static final int SLOTS = 14;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> {
        float[][] b = new float[SLOTS][];
        for (int i = 0; i < SLOTS; i++) b[i] = new float[0];
        return b;
    });

    /** A buffer of at least {@code n} floats for {@code slot} on this thread (contents unspecified). */
    static float[] floats(int slot, int n) {
        float[][] b = BUFFERS.get();
        if (b[slot].length < n) b[slot] = new float[Math.max(n, b[slot].length * 3 / 2)];
        return b[slot];
    }
}
