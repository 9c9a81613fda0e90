package ggufc.runtime.device;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import ggufc.codegen.tornado.kir.Kernel;
import ggufc.codegen.tornado.render.PtxRenderer;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A CUDA GPU through the driver API ({@code libcuda.so.1}, bound with FFM): kernels are our PTX
 * (sm_90 on compute capability 9.x and newer, sm_80 otherwise), JIT-compiled by the driver with
 * {@code cuModuleLoadData}; buffers are {@code cuMemAlloc} allocations; launches go to the default
 * stream in order. Written against the documented driver API; on this project's machines there is no
 * GPU, so only the "no driver" path runs in tests (see the README).
 */
public final class CudaDevice implements Device {
    /** What `ggufc devices` lists for CUDA. */
    public record Info(String id, String name, int major, int minor, long totalMem, int driverVersion) {
        public String line() {
            return String.format("%s  %s (compute capability %d.%d, driver API %d.%d), %d MiB", id, name, major, minor, driverVersion / 1000, driverVersion % 1000 / 10, totalMem >> 20);
        }
    }

    private static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

    /** The bound driver functions. */
    private static final class Api {
        final MethodHandle init, driverGetVersion, deviceGetCount, deviceGet, deviceGetName, deviceTotalMem, deviceGetAttribute;
        final MethodHandle primaryCtxRetain, primaryCtxRelease, ctxSetCurrent, ctxSynchronize, moduleLoadData, moduleGetFunction, moduleUnload;
        final MethodHandle memAlloc, memFree, memcpyHtoD, memcpyDtoH, memsetD8, launchKernel, getErrorName;

        Api(SymbolLookup lib) {
            Linker l = Linker.nativeLinker();
            init = h(l, lib, "cuInit", JAVA_INT);
            driverGetVersion = h(l, lib, "cuDriverGetVersion", ADDRESS);
            deviceGetCount = h(l, lib, "cuDeviceGetCount", ADDRESS);
            deviceGet = h(l, lib, "cuDeviceGet", ADDRESS, JAVA_INT);
            deviceGetName = h(l, lib, "cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
            deviceTotalMem = h(l, lib, "cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
            deviceGetAttribute = h(l, lib, "cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
            primaryCtxRetain = h(l, lib, "cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
            primaryCtxRelease = h(l, lib, "cuDevicePrimaryCtxRelease_v2", JAVA_INT);
            ctxSetCurrent = h(l, lib, "cuCtxSetCurrent", ADDRESS);
            ctxSynchronize = h(l, lib, "cuCtxSynchronize");
            moduleLoadData = h(l, lib, "cuModuleLoadData", ADDRESS, ADDRESS);
            moduleGetFunction = h(l, lib, "cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
            moduleUnload = h(l, lib, "cuModuleUnload", ADDRESS);
            memAlloc = h(l, lib, "cuMemAlloc_v2", ADDRESS, JAVA_LONG);
            memFree = h(l, lib, "cuMemFree_v2", JAVA_LONG);
            memcpyHtoD = h(l, lib, "cuMemcpyHtoD_v2", JAVA_LONG, ADDRESS, JAVA_LONG);
            memcpyDtoH = h(l, lib, "cuMemcpyDtoH_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
            memsetD8 = h(l, lib, "cuMemsetD8_v2", JAVA_LONG, JAVA_BYTE, JAVA_LONG);
            launchKernel = h(l, lib, "cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
            getErrorName = h(l, lib, "cuGetErrorName", JAVA_INT, ADDRESS);
        }

        private static MethodHandle h(Linker l, SymbolLookup lib, String name, MemoryLayout... args) {
            MemorySegment sym = lib.find(name).orElseThrow(() -> new DeviceException("the CUDA driver has no " + name + " (CUDA 12 or newer is needed)"));
            return l.downcallHandle(sym, FunctionDescriptor.of(JAVA_INT, args));
        }

        void check(int status, String what) {
            if (status == 0) return;
            String name = "CUDA error " + status;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(ADDRESS);
                if ((int) getErrorName.invokeWithArguments(status, p) == 0) name = p.get(ADDRESS, 0).reinterpret(256).getString(0);
            } catch (Throwable ignored) {
                // keep the number
            }
            throw new DeviceException(what + " failed: " + name);
        }

        int call(MethodHandle h, Object... args) {
            try {
                return (int) h.invokeWithArguments(args);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new DeviceException("CUDA call failed: " + t, t);
            }
        }
    }

    private static volatile Api api;
    private static volatile String unavailable;

    private static Api api() {
        if (api != null) return api;
        synchronized (CudaDevice.class) {
            if (api != null) return api;
            if (unavailable != null) throw new DeviceException(unavailable);
            SymbolLookup lib;
            try {
                lib = SymbolLookup.libraryLookup(System.getProperty("ggufc.cuda.lib", "libcuda.so.1"), Arena.global());
            } catch (IllegalArgumentException e) {
                unavailable = "no CUDA driver: libcuda.so.1 not found (CUDA devices need NVIDIA's driver; `ggufc devices` lists what is usable)";
                throw new DeviceException(unavailable);
            }
            Api a = new Api(lib);
            int st = a.call(a.init, 0);
            if (st != 0) {
                unavailable = "the CUDA driver did not initialise (cuInit returned " + st + "): no usable GPU";
                throw new DeviceException(unavailable);
            }
            api = a;
            return a;
        }
    }

    /** Whether a CUDA driver with at least one device is present. */
    public static boolean available() {
        try {
            return !list().isEmpty();
        } catch (DeviceException e) {
            return false;
        }
    }

    /** CUDA devices, or empty (no driver, or no device). */
    public static List<Info> list() {
        Api a;
        try {
            a = api();
        } catch (DeviceException e) {
            return List.of();
        }
        List<Info> r = new ArrayList<>();
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment n = ar.allocate(JAVA_INT), v = ar.allocate(JAVA_INT);
            a.check(a.call(a.deviceGetCount, n), "cuDeviceGetCount");
            a.check(a.call(a.driverGetVersion, v), "cuDriverGetVersion");
            for (int i = 0; i < n.get(JAVA_INT, 0); i++) {
                int dev = device(a, i, ar);
                MemorySegment name = ar.allocate(256), mem = ar.allocate(JAVA_LONG), maj = ar.allocate(JAVA_INT), min = ar.allocate(JAVA_INT);
                a.check(a.call(a.deviceGetName, name, 256, dev), "cuDeviceGetName");
                a.check(a.call(a.deviceTotalMem, mem, dev), "cuDeviceTotalMem");
                a.check(a.call(a.deviceGetAttribute, maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev), "cuDeviceGetAttribute");
                a.check(a.call(a.deviceGetAttribute, min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev), "cuDeviceGetAttribute");
                r.add(new Info("cuda:" + i, name.getString(0), maj.get(JAVA_INT, 0), min.get(JAVA_INT, 0), mem.get(JAVA_LONG, 0), v.get(JAVA_INT, 0)));
            }
        }
        return r;
    }

    private static int device(Api a, int ordinal, Arena ar) {
        MemorySegment d = ar.allocate(JAVA_INT);
        a.check(a.call(a.deviceGet, d, ordinal), "cuDeviceGet(" + ordinal + ")");
        return d.get(JAVA_INT, 0);
    }

    private final Api cu;
    private final String id;
    private final Info info;
    private final int dev;
    private final MemorySegment ctx;
    private final String arch;
    private final Arena arena = Arena.ofShared();
    private final List<CuBuffer> buffers = new ArrayList<>();
    private final List<CuModule> modules = new ArrayList<>();
    private boolean closed;

    private CudaDevice(Api cu, int index, Info info) {
        this.cu = cu;
        this.id = "cuda:" + index;
        this.info = info;
        if (info.major() < 8) throw new DeviceException(id + " (" + info.name() + ") has compute capability " + info.major() + "." + info.minor() + "; ggufc's PTX needs 8.0 or newer");
        this.arch = info.major() >= 9 ? "sm_90" : "sm_80";
        try (Arena a = Arena.ofConfined()) {
            dev = device(cu, index, a);
            MemorySegment c = a.allocate(ADDRESS);
            cu.check(cu.call(cu.primaryCtxRetain, c, dev), "cuDevicePrimaryCtxRetain");
            ctx = c.get(ADDRESS, 0);
            cu.check(cu.call(cu.ctxSetCurrent, ctx), "cuCtxSetCurrent");
        }
    }

    /** Opens CUDA device {@code index}; a DeviceException naming the reason when there is none. */
    public static CudaDevice open(int index) {
        Api a = api();
        List<Info> all = list();
        if (index < 0 || index >= all.size()) throw new DeviceException("no CUDA device cuda:" + index + " (" + all.size() + " found)");
        return new CudaDevice(a, index, all.get(index));
    }

    @Override
    public String id() { return id; }

    @Override
    public long memoryBytes() { return info.totalMem(); }

    @Override
    public String description() { return info.name() + " (compute capability " + info.major() + "." + info.minor() + ", PTX " + arch + ")"; }

    private void current() { cu.check(cu.call(cu.ctxSetCurrent, ctx), "cuCtxSetCurrent"); }

    @Override
    public Buffer allocate(long bytes) {
        current();
        long size = Math.max(4, (bytes + 3) & ~3L);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            cu.check(cu.call(cu.memAlloc, p, size), "cuMemAlloc(" + size + " bytes)");
            CuBuffer b = new CuBuffer(p.get(JAVA_LONG, 0), size);
            buffers.add(b);
            zero(b);
            return b;
        }
    }

    @Override
    public void zero(Buffer b) { cu.check(cu.call(cu.memsetD8, ((CuBuffer) b).ptr, (byte) 0, b.bytes()), "cuMemsetD8"); }

    @Override
    public void write(Buffer dst, long offset, MemorySegment src) {
        MemorySegment host = src.isNative() ? src : Arena.ofAuto().allocate(src.byteSize(), 8).copyFrom(src);
        cu.check(cu.call(cu.memcpyHtoD, ((CuBuffer) dst).ptr + offset, host, src.byteSize()), "cuMemcpyHtoD");
    }

    @Override
    public void read(Buffer src, long offset, MemorySegment dst) {
        MemorySegment host = dst.isNative() ? dst : Arena.ofAuto().allocate(dst.byteSize(), 8);
        cu.check(cu.call(cu.memcpyDtoH, host, ((CuBuffer) src).ptr + offset, dst.byteSize()), "cuMemcpyDtoH");
        if (host != dst) dst.copyFrom(host);
    }

    @Override
    public Module load(List<Kernel> kernels) {
        current();
        String ptx = PtxRenderer.module(kernels, arch);
        MemorySegment image = arena.allocateFrom(ptx, StandardCharsets.UTF_8);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(ADDRESS);
            cu.check(cu.call(cu.moduleLoadData, m, image), "cuModuleLoadData (JIT of our " + arch + " PTX)");
            CuModule mod = new CuModule(m.get(ADDRESS, 0), new LinkedHashMap<>());
            for (Kernel k : kernels) {
                MemorySegment f = a.allocate(ADDRESS);
                cu.check(cu.call(cu.moduleGetFunction, f, mod.handle, a.allocateFrom(k.name())), "cuModuleGetFunction(" + k.name() + ")");
                mod.kernels.put(k.name(), new CuKernel(f.get(ADDRESS, 0), k));
            }
            modules.add(mod);
            return mod;
        }
    }

    @Override
    public void launch(LoadedKernel lk, long[] groups, Object[] args) {
        CuKernel k = (CuKernel) lk;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment values = a.allocate(8L * Math.max(1, args.length), 8), params = a.allocate(ADDRESS, Math.max(1, args.length));
            for (int i = 0; i < args.length; i++) {
                MemorySegment slot = values.asSlice(8L * i, 8);
                switch (args[i]) {
                    case CuBuffer b -> slot.set(JAVA_LONG, 0, b.ptr);
                    case Integer v -> slot.set(JAVA_INT, 0, v);
                    case Float v -> slot.set(JAVA_FLOAT, 0, v);
                    default -> throw new DeviceException(k.ir.name() + " argument " + i + " is a " + args[i].getClass().getSimpleName());
                }
                params.setAtIndex(ADDRESS, i, slot);
            }
            cu.check(cu.call(cu.launchKernel, k.handle, (int) groups[0], (int) (groups.length > 1 ? groups[1] : 1), 1, k.ir.localSize(), 1, 1, 0,
                    MemorySegment.NULL, params, MemorySegment.NULL), "cuLaunchKernel(" + k.ir.name() + ")");
        }
    }

    @Override
    public void finish() { cu.check(cu.call(cu.ctxSynchronize), "cuCtxSynchronize"); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        current();
        cu.call(cu.ctxSynchronize);
        for (CuModule m : modules) cu.call(cu.moduleUnload, m.handle);
        for (CuBuffer b : buffers) cu.call(cu.memFree, b.ptr);
        cu.call(cu.primaryCtxRelease, dev);
        arena.close();
    }

    private record CuBuffer(long ptr, long bytes) implements Buffer {}

    private record CuKernel(MemorySegment handle, Kernel ir) implements LoadedKernel {}

    private record CuModule(MemorySegment handle, Map<String, CuKernel> kernels) implements Module {
        @Override
        public LoadedKernel kernel(String name) {
            CuKernel k = kernels.get(name);
            if (k == null) throw new DeviceException("no kernel " + name + " in this module");
            return k;
        }
    }
}
