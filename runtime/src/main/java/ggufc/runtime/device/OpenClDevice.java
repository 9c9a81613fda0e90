package ggufc.runtime.device;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.render.CStyleRenderer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An OpenCL device (any platform: PoCL on a CPU, a GPU driver). Kernels are rendered to OpenCL C
 * 1.2 and built once; buffers are {@code cl_mem}s; launches go to one in-order queue.
 */
public final class OpenClDevice implements Device {
    /**
     * How kernels reach the driver. {@code OPENCL_C}: our OpenCL C source. {@code SPIRV}: our
     * SPIR-V module, through {@code clCreateProgramWithIL} where the device takes SPIR-V, else
     * translated by {@code llvm-spirv -r} to SPIR 1.2 bitcode for a {@code cl_khr_spir} device
     * (PoCL): the way to run the SPIR-V renderer's output on a CPU.
     */
    public enum Source { OPENCL_C, SPIRV }

    /** What `ggufc devices` lists for OpenCL. */
    public record Info(String id, String platform, String device, String version, String driver, long globalMem, long maxAlloc, long localMem, int computeUnits) {
        public String line() {
            return String.format("%s  %s / %s (%s, driver %s), %d MiB global, %d KiB local, %d compute units", id, platform, device, version, driver,
                    globalMem >> 20, localMem >> 10, computeUnits);
        }
    }

    private final OpenCl cl;
    private final String id;
    private final String description;
    private final MemorySegment deviceId, context, queue;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment argScratch, global, local, eventOut;
    private final List<ClBuffer> buffers = new ArrayList<>();
    private final List<ClModule> modules = new ArrayList<>();
    private boolean profiling;
    private final Map<String, long[]> profile = new TreeMap<>();
    private boolean closed;
    private final Source source;

    private OpenClDevice(OpenCl cl, String id, MemorySegment deviceId, String description, Source source) {
        this.source = source;
        this.cl = cl;
        this.id = id;
        this.deviceId = deviceId;
        this.description = description;
        MemorySegment err = arena.allocate(JAVA_INT);
        MemorySegment devs = arena.allocate(ADDRESS);
        devs.set(ADDRESS, 0, deviceId);
        context = OpenCl.callPtr(cl.createContext, MemorySegment.NULL, 1, devs, MemorySegment.NULL, MemorySegment.NULL, err);
        OpenCl.check(err.get(JAVA_INT, 0), "clCreateContext");
        queue = OpenCl.callPtr(cl.createCommandQueue, context, deviceId, OpenCl.CL_QUEUE_PROFILING_ENABLE, err);
        OpenCl.check(err.get(JAVA_INT, 0), "clCreateCommandQueue");
        argScratch = arena.allocate(8, 8);
        global = arena.allocate(JAVA_LONG, 2);
        local = arena.allocate(JAVA_LONG, 2);
        eventOut = arena.allocate(ADDRESS);
    }

    /** Every OpenCL device of every platform, numbered in that order; empty without a driver. */
    public static List<Info> list() {
        if (!OpenCl.available()) return List.of();
        OpenCl cl = OpenCl.get();
        List<Info> r = new ArrayList<>();
        for (MemorySegment p : cl.platforms()) {
            String pname = cl.platformString(p, OpenCl.CL_PLATFORM_NAME);
            for (MemorySegment d : cl.devices(p)) {
                r.add(new Info("opencl:" + r.size(), pname, cl.deviceString(d, OpenCl.CL_DEVICE_NAME), cl.deviceString(d, OpenCl.CL_DEVICE_VERSION),
                        cl.deviceString(d, OpenCl.CL_DRIVER_VERSION), cl.deviceLong(d, OpenCl.CL_DEVICE_GLOBAL_MEM_SIZE, 8),
                        cl.deviceLong(d, OpenCl.CL_DEVICE_MAX_MEM_ALLOC_SIZE, 8), cl.deviceLong(d, OpenCl.CL_DEVICE_LOCAL_MEM_SIZE, 8),
                        (int) cl.deviceLong(d, OpenCl.CL_DEVICE_MAX_COMPUTE_UNITS, 4)));
            }
        }
        return r;
    }

    /** Opens device {@code index} (the n-th device over all platforms) with OpenCL C kernels. */
    public static OpenClDevice open(int index) { return open(index, Source.OPENCL_C); }

    /** Opens device {@code index} taking kernels as {@code source}. */
    public static OpenClDevice open(int index, Source source) {
        OpenCl cl = OpenCl.get();
        int n = 0;
        for (MemorySegment p : cl.platforms()) {
            String pname = cl.platformString(p, OpenCl.CL_PLATFORM_NAME);
            for (MemorySegment d : cl.devices(p)) {
                if (n++ == index) {
                    String desc = pname + " / " + cl.deviceString(d, OpenCl.CL_DEVICE_NAME) + " (" + cl.deviceString(d, OpenCl.CL_DEVICE_VERSION) + ")";
                    return new OpenClDevice(cl, "opencl:" + index + (source == Source.SPIRV ? ":spirv" : ""), d, desc, source);
                }
            }
        }
        throw new DeviceException("no OpenCL device opencl:" + index + " (" + n + " found; `ggufc devices` lists them)");
    }

    /**
     * Opens sub-device {@code sub} of {@code count} equal parts of device {@code index} ({@code opencl:N.S}: PoCL cuts a CPU
     * into sub-devices of whole compute units, so one machine gives several OpenCL devices; each gets its own context,
     * queue and kernels, as separate GPUs would).
     */
    public static OpenClDevice openSub(int index, int sub, int count) {
        OpenCl cl = OpenCl.get();
        if (cl.createSubDevices == null) throw new DeviceException("the OpenCL library has no clCreateSubDevices (OpenCL 1.2): opencl:" + index + "." + sub + " needs it");
        int n = 0;
        for (MemorySegment p : cl.platforms()) {
            String pname = cl.platformString(p, OpenCl.CL_PLATFORM_NAME);
            for (MemorySegment d : cl.devices(p)) {
                if (n++ != index) continue;
                int units = (int) cl.deviceLong(d, OpenCl.CL_DEVICE_MAX_COMPUTE_UNITS, 4);
                if (sub < 0 || sub >= count || count > units) {
                    throw new DeviceException("opencl:" + index + " has " + units + " compute units: it cannot be cut into " + count + " sub-devices for opencl:" + index + "." + sub);
                }
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment props = a.allocate(JAVA_LONG, 3);
                    props.setAtIndex(JAVA_LONG, 0, OpenCl.CL_DEVICE_PARTITION_EQUALLY);
                    props.setAtIndex(JAVA_LONG, 1, units / count);
                    props.setAtIndex(JAVA_LONG, 2, 0);
                    MemorySegment out = a.allocate(ADDRESS, units), got = a.allocate(JAVA_INT);
                    OpenCl.check(OpenCl.call(cl.createSubDevices, d, props, units, out, got), "clCreateSubDevices(opencl:" + index + ", " + (units / count) + " compute units each)");
                    if (got.get(JAVA_INT, 0) <= sub) throw new DeviceException("opencl:" + index + " gave " + got.get(JAVA_INT, 0) + " sub-devices, not " + count);
                    MemorySegment sd = out.getAtIndex(ADDRESS, sub);
                    String desc = pname + " / " + cl.deviceString(d, OpenCl.CL_DEVICE_NAME) + ", sub-device " + sub + " of " + count + " (" + (units / count) + " compute units)";
                    return new OpenClDevice(cl, "opencl:" + index + "." + sub, sd, desc, Source.OPENCL_C);
                }
            }
        }
        throw new DeviceException("no OpenCL device opencl:" + index + " (" + n + " found; `ggufc devices` lists them)");
    }

    @Override
    public String id() { return id; }

    @Override
    public String description() { return description; }

    @Override
    public long memoryBytes() { return cl.deviceLong(deviceId, OpenCl.CL_DEVICE_GLOBAL_MEM_SIZE, 8); }

    @Override
    public Buffer allocate(long bytes) {
        long size = Math.max(4, (bytes + 3) & ~3L);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment mem = OpenCl.callPtr(cl.createBuffer, context, OpenCl.CL_MEM_READ_WRITE, size, MemorySegment.NULL, err);
            OpenCl.check(err.get(JAVA_INT, 0), "clCreateBuffer(" + size + " bytes)");
            ClBuffer b = new ClBuffer(mem, size);
            buffers.add(b);
            zero(b);
            return b;
        }
    }

    @Override
    public void zero(Buffer b) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pattern = a.allocate(4);
            OpenCl.check(OpenCl.call(cl.enqueueFillBuffer, queue, ((ClBuffer) b).mem, pattern, 4L, 0L, b.bytes(), 0, MemorySegment.NULL, MemorySegment.NULL),
                    "clEnqueueFillBuffer");
            // the pattern is copied when the command is queued (OpenCL 1.2), so the arena may close now
        }
    }

    @Override
    public void write(Buffer dst, long offset, MemorySegment src) {
        MemorySegment host = src.isNative() ? src : copyToNative(src);
        OpenCl.check(OpenCl.call(cl.enqueueWriteBuffer, queue, ((ClBuffer) dst).mem, 1, offset, src.byteSize(), host, 0, MemorySegment.NULL, MemorySegment.NULL),
                "clEnqueueWriteBuffer");
    }

    private MemorySegment copyToNative(MemorySegment src) {
        MemorySegment m = Arena.ofAuto().allocate(src.byteSize(), 8);
        m.copyFrom(src);
        return m;
    }

    @Override
    public void read(Buffer src, long offset, MemorySegment dst) {
        MemorySegment host = dst.isNative() ? dst : Arena.ofAuto().allocate(dst.byteSize(), 8);
        OpenCl.check(OpenCl.call(cl.enqueueReadBuffer, queue, ((ClBuffer) src).mem, 1, offset, dst.byteSize(), host, 0, MemorySegment.NULL, MemorySegment.NULL),
                "clEnqueueReadBuffer");
        if (host != dst) dst.copyFrom(host);
    }

    @Override
    public Module load(List<Kernel> kernels) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment program;
            String options;
            if (source == Source.OPENCL_C) {
                MemorySegment src = a.allocateFrom(CStyleRenderer.openClProgram(kernels), StandardCharsets.UTF_8);
                MemorySegment strings = a.allocate(ADDRESS);
                strings.set(ADDRESS, 0, src);
                program = OpenCl.callPtr(cl.createProgramWithSource, context, 1, strings, MemorySegment.NULL, err);
                OpenCl.check(err.get(JAVA_INT, 0), "clCreateProgramWithSource");
                options = "-cl-std=CL1.2";
            } else {
                byte[] spirv = ggufc.codegen.tornado.render.SpirvRenderer.module(kernels);
                if (cl.createProgramWithIL != null && cl.deviceStringOrEmpty(deviceId, OpenCl.CL_DEVICE_IL_VERSION).contains("SPIR-V")) {
                    MemorySegment il = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, spirv);
                    program = OpenCl.callPtr(cl.createProgramWithIL, context, il, (long) spirv.length, err);
                    OpenCl.check(err.get(JAVA_INT, 0), "clCreateProgramWithIL");
                    options = "";
                } else if (cl.deviceString(deviceId, OpenCl.CL_DEVICE_EXTENSIONS).contains("cl_khr_spir")) {
                    byte[] bitcode = SpirTranslator.toSpir12(spirv);
                    MemorySegment bin = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, bitcode);
                    MemorySegment bins = a.allocate(ADDRESS), lens = a.allocate(JAVA_LONG), devs = a.allocate(ADDRESS), status = a.allocate(JAVA_INT);
                    bins.set(ADDRESS, 0, bin);
                    lens.set(JAVA_LONG, 0, bitcode.length);
                    devs.set(ADDRESS, 0, deviceId);
                    program = OpenCl.callPtr(cl.createProgramWithBinary, context, 1, devs, lens, bins, status, err);
                    OpenCl.check(err.get(JAVA_INT, 0), "clCreateProgramWithBinary(SPIR)");
                    options = "-x spir -spir-std=1.2";
                } else {
                    throw new DeviceException(id + " takes neither SPIR-V (no IL support) nor SPIR (no cl_khr_spir): run it with OpenCL C kernels");
                }
            }
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, deviceId);
            int st = OpenCl.call(cl.buildProgram, program, 1, devs, a.allocateFrom(options), MemorySegment.NULL, MemorySegment.NULL);
            if (st != OpenCl.CL_SUCCESS) {
                String log = buildLog(program, a);
                OpenCl.call(cl.releaseProgram, program);
                throw new DeviceException("building the " + (source == Source.OPENCL_C ? "OpenCL C" : "SPIR-V") + " program failed on " + id + ":\n" + log);
            }
            ClModule m = new ClModule(program, new LinkedHashMap<>());
            for (Kernel k : kernels) {
                MemorySegment kh = OpenCl.callPtr(cl.createKernel, program, a.allocateFrom(k.name()), err);
                OpenCl.check(err.get(JAVA_INT, 0), "clCreateKernel(" + k.name() + ")");
                m.kernels.put(k.name(), new ClKernel(kh, k));
            }
            modules.add(m);
            return m;
        }
    }

    private String buildLog(MemorySegment program, Arena a) {
        MemorySegment size = a.allocate(JAVA_LONG);
        OpenCl.call(cl.getProgramBuildInfo, program, deviceId, OpenCl.CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size);
        long n = size.get(JAVA_LONG, 0);
        MemorySegment buf = a.allocate(Math.max(1, n));
        OpenCl.call(cl.getProgramBuildInfo, program, deviceId, OpenCl.CL_PROGRAM_BUILD_LOG, n, buf, MemorySegment.NULL);
        return OpenCl.cString(buf, n);
    }

    @Override
    public void launch(LoadedKernel lk, long[] groups, Object[] args) {
        ClKernel k = (ClKernel) lk;
        Kernel ir = k.ir;
        if (args.length != ir.params().size()) throw new DeviceException(ir.name() + " takes " + ir.params().size() + " arguments, got " + args.length);
        try {
            for (int i = 0; i < args.length; i++) {
                int st;
                switch (args[i]) {
                    case ClBuffer b -> {
                        argScratch.set(ADDRESS, 0, b.mem);
                        st = (int) cl.setKernelArg.invokeExact(k.handle, i, 8L, argScratch);
                    }
                    case Integer v -> {
                        argScratch.set(JAVA_INT, 0, v);
                        st = (int) cl.setKernelArg.invokeExact(k.handle, i, 4L, argScratch);
                    }
                    case Float v -> {
                        argScratch.set(JAVA_FLOAT, 0, v);
                        st = (int) cl.setKernelArg.invokeExact(k.handle, i, 4L, argScratch);
                    }
                    default -> throw new DeviceException(ir.name() + " argument " + i + " is a " + args[i].getClass().getSimpleName());
                }
                if (st != 0) OpenCl.check(st, "clSetKernelArg(" + ir.name() + ", " + i + ")");
            }
            global.setAtIndex(JAVA_LONG, 0, groups[0] * ir.localSize());
            global.setAtIndex(JAVA_LONG, 1, groups.length > 1 ? groups[1] : 1);
            local.setAtIndex(JAVA_LONG, 0, ir.localSize());
            local.setAtIndex(JAVA_LONG, 1, 1);
            MemorySegment ev = profiling ? eventOut : MemorySegment.NULL;
            int st = (int) cl.enqueueNDRangeKernel.invokeExact(queue, k.handle, 2, MemorySegment.NULL, global, local, 0, MemorySegment.NULL, ev);
            if (st != 0) OpenCl.check(st, "clEnqueueNDRangeKernel(" + ir.name() + ", groups " + java.util.Arrays.toString(groups) + ")");
            if (profiling) record(ir.name());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new DeviceException("launching " + ir.name() + ": " + t, t);
        }
    }

    private void record(String name) {
        MemorySegment ev = eventOut.get(ADDRESS, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment evs = a.allocate(ADDRESS);
            evs.set(ADDRESS, 0, ev);
            OpenCl.check(OpenCl.call(cl.waitForEvents, 1, evs), "clWaitForEvents");
            MemorySegment t = a.allocate(JAVA_LONG, 2);
            OpenCl.check(OpenCl.call(cl.getEventProfilingInfo, ev, OpenCl.CL_PROFILING_COMMAND_START, 8L, t, MemorySegment.NULL), "clGetEventProfilingInfo");
            OpenCl.check(OpenCl.call(cl.getEventProfilingInfo, ev, OpenCl.CL_PROFILING_COMMAND_END, 8L, t.asSlice(8), MemorySegment.NULL), "clGetEventProfilingInfo");
            long[] tot = profile.computeIfAbsent(name, x -> new long[2]);
            tot[0] += t.getAtIndex(JAVA_LONG, 1) - t.getAtIndex(JAVA_LONG, 0);
            tot[1]++;
            OpenCl.call(cl.releaseEvent, ev);
        }
    }

    @Override
    public void profile(boolean on) {
        profiling = on;
        if (on) profile.clear();
    }

    @Override
    public Map<String, long[]> profileTotals() { return Map.copyOf(profile); }

    @Override
    public void finish() { OpenCl.check(OpenCl.call(cl.finish, queue), "clFinish"); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        OpenCl.call(cl.finish, queue);
        for (ClModule m : modules) {
            for (ClKernel k : m.kernels.values()) OpenCl.call(cl.releaseKernel, k.handle);
            OpenCl.call(cl.releaseProgram, m.program);
        }
        for (ClBuffer b : buffers) OpenCl.call(cl.releaseMemObject, b.mem);
        OpenCl.call(cl.releaseCommandQueue, queue);
        OpenCl.call(cl.releaseContext, context);
        arena.close();
    }

    /** Buffers handed out and not yet released (for tests of {@link #close}). */
    public int liveBuffers() { return closed ? 0 : buffers.size(); }

    private record ClBuffer(MemorySegment mem, long bytes) implements Buffer {}

    private record ClKernel(MemorySegment handle, Kernel ir) implements LoadedKernel {}

    private record ClModule(MemorySegment program, Map<String, ClKernel> kernels) implements Module {
        @Override
        public LoadedKernel kernel(String name) {
            ClKernel k = kernels.get(name);
            if (k == null) throw new DeviceException("no kernel " + name + " in this module");
            return k;
        }
    }
}
