package ggufc.runtime.device;

import ggufc.codegen.tornado.kir.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A compute device that runs kernel-IR kernels: it renders them in its own language (OpenCL C,
 * PTX), owns device memory and launches work. Launches are queued in order; reads wait for them.
 * Closing releases every buffer and module the device handed out.
 */
public interface Device extends AutoCloseable {
    /** The id users pass to {@code --device}, e.g. {@code opencl:0}. */
    String id();

    /** One line: platform, device, driver. */
    String description();

    /** The device's memory in bytes (unknown: {@link Long#MAX_VALUE}). */
    default long memoryBytes() { return Long.MAX_VALUE; }

    /** Device memory; {@code bytes} is rounded up to a multiple of 4, zero-filled. */
    Buffer allocate(long bytes);

    void write(Buffer dst, long offset, MemorySegment src);

    void read(Buffer src, long offset, MemorySegment dst);

    /** Fills a buffer with zero bytes (queued). */
    void zero(Buffer b);

    /** Compiles the kernels (once per device); {@link Module#kernel} looks them up by name. */
    Module load(List<Kernel> kernels);

    /**
     * Queues {@code k} on a grid of {@code groups[0] x groups[1]} work-groups of the kernel's
     * work-group size. {@code args} in parameter order: {@link Buffer}, Integer or Float.
     */
    void launch(LoadedKernel k, long[] groups, Object[] args);

    /** Waits for everything queued. */
    void finish();

    /** Kernel time measurement: when on, {@link #launch} records each launch's device time. */
    default void profile(boolean on) {}

    /** Device nanoseconds per kernel name since profiling was turned on (empty when unsupported). */
    default java.util.Map<String, long[]> profileTotals() { return java.util.Map.of(); }

    @Override
    void close();

    /** A device allocation. */
    interface Buffer {
        long bytes();
    }

    /** Compiled kernels. */
    interface Module {
        LoadedKernel kernel(String name);
    }

    /** One compiled kernel with its IR (parameter order, work-group size). */
    interface LoadedKernel {
        Kernel ir();
    }
}
