package ggufc.runtime.device;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The part of the OpenCL 1.2 C API that ggufc uses, bound through FFM to the ICD loader
 * ({@code libOpenCL.so.1}), so any installed platform works (PoCL on a CPU, a GPU vendor's driver).
 * Every call checks its status and fails with the function and the error's name.
 */
final class OpenCl {
    static final int CL_SUCCESS = 0;
    static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    static final int CL_PLATFORM_VERSION = 0x0901, CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VENDOR = 0x0903;
    static final int CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    static final int CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F, CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    static final int CL_DEVICE_NAME = 0x102B, CL_DEVICE_VENDOR = 0x102C, CL_DRIVER_VERSION = 0x102D, CL_DEVICE_VERSION = 0x102F;
    static final int CL_DEVICE_EXTENSIONS = 0x1030, CL_DEVICE_OPENCL_C_VERSION = 0x103D;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    static final int CL_DEVICE_IL_VERSION = 0x105B;
    static final long CL_MEM_READ_WRITE = 1, CL_MEM_READ_ONLY = 4;
    static final long CL_QUEUE_PROFILING_ENABLE = 2;
    static final int CL_PROFILING_COMMAND_START = 0x1282, CL_PROFILING_COMMAND_END = 0x1283;

    private static final Map<Integer, String> ERRORS = Map.ofEntries(
            Map.entry(-1, "CL_DEVICE_NOT_FOUND"), Map.entry(-2, "CL_DEVICE_NOT_AVAILABLE"), Map.entry(-3, "CL_COMPILER_NOT_AVAILABLE"),
            Map.entry(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"), Map.entry(-5, "CL_OUT_OF_RESOURCES"), Map.entry(-6, "CL_OUT_OF_HOST_MEMORY"),
            Map.entry(-11, "CL_BUILD_PROGRAM_FAILURE"), Map.entry(-30, "CL_INVALID_VALUE"), Map.entry(-32, "CL_INVALID_PLATFORM"),
            Map.entry(-33, "CL_INVALID_DEVICE"), Map.entry(-34, "CL_INVALID_CONTEXT"), Map.entry(-36, "CL_INVALID_COMMAND_QUEUE"),
            Map.entry(-38, "CL_INVALID_MEM_OBJECT"), Map.entry(-42, "CL_INVALID_BINARY"), Map.entry(-43, "CL_INVALID_BUILD_OPTIONS"),
            Map.entry(-44, "CL_INVALID_PROGRAM"), Map.entry(-45, "CL_INVALID_PROGRAM_EXECUTABLE"), Map.entry(-46, "CL_INVALID_KERNEL_NAME"),
            Map.entry(-48, "CL_INVALID_KERNEL"), Map.entry(-49, "CL_INVALID_ARG_INDEX"), Map.entry(-50, "CL_INVALID_ARG_VALUE"),
            Map.entry(-51, "CL_INVALID_ARG_SIZE"), Map.entry(-52, "CL_INVALID_KERNEL_ARGS"), Map.entry(-53, "CL_INVALID_WORK_DIMENSION"),
            Map.entry(-54, "CL_INVALID_WORK_GROUP_SIZE"), Map.entry(-55, "CL_INVALID_WORK_ITEM_SIZE"), Map.entry(-61, "CL_INVALID_BUFFER_SIZE"),
            Map.entry(-63, "CL_INVALID_GLOBAL_WORK_SIZE"), Map.entry(-1001, "CL_PLATFORM_NOT_FOUND_KHR"));

    private static volatile OpenCl instance;
    private static volatile String unavailable;

    final MethodHandle getPlatformIDs, getPlatformInfo, getDeviceIDs, getDeviceInfo, createContext, createCommandQueue;
    final MethodHandle createProgramWithSource, createProgramWithBinary, buildProgram, getProgramBuildInfo, createKernel, setKernelArg;
    final MethodHandle createBuffer, enqueueWriteBuffer, enqueueReadBuffer, enqueueFillBuffer, enqueueNDRangeKernel, finish;
    final MethodHandle releaseMemObject, releaseKernel, releaseProgram, releaseCommandQueue, releaseContext;
    final MethodHandle getEventProfilingInfo, releaseEvent, waitForEvents;
    /** OpenCL 2.1 / 3.0 only; null when the loader does not export it. */
    final MethodHandle createProgramWithIL;
    /** OpenCL 1.2: partitions a device (PoCL: a CPU into sub-devices of whole compute units); null when not exported. */
    final MethodHandle createSubDevices;
    static final long CL_DEVICE_PARTITION_EQUALLY = 0x1086;

    private OpenCl(SymbolLookup lib) {
        Linker l = Linker.nativeLinker();
        getPlatformIDs = h(l, lib, "clGetPlatformIDs", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        getPlatformInfo = h(l, lib, "clGetPlatformInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        getDeviceIDs = h(l, lib, "clGetDeviceIDs", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        getDeviceInfo = h(l, lib, "clGetDeviceInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        createContext = h(l, lib, "clCreateContext", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        createCommandQueue = h(l, lib, "clCreateCommandQueue", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        createProgramWithSource = h(l, lib, "clCreateProgramWithSource", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        createProgramWithBinary = h(l, lib, "clCreateProgramWithBinary", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        buildProgram = h(l, lib, "clBuildProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        getProgramBuildInfo = h(l, lib, "clGetProgramBuildInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        createKernel = h(l, lib, "clCreateKernel", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        setKernelArg = h(l, lib, "clSetKernelArg", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);
        createBuffer = h(l, lib, "clCreateBuffer", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
        enqueueWriteBuffer = h(l, lib, "clEnqueueWriteBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        enqueueReadBuffer = h(l, lib, "clEnqueueReadBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        enqueueFillBuffer = h(l, lib, "clEnqueueFillBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        enqueueNDRangeKernel = h(l, lib, "clEnqueueNDRangeKernel", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        finish = h(l, lib, "clFinish", JAVA_INT, ADDRESS);
        releaseMemObject = h(l, lib, "clReleaseMemObject", JAVA_INT, ADDRESS);
        releaseKernel = h(l, lib, "clReleaseKernel", JAVA_INT, ADDRESS);
        releaseProgram = h(l, lib, "clReleaseProgram", JAVA_INT, ADDRESS);
        releaseCommandQueue = h(l, lib, "clReleaseCommandQueue", JAVA_INT, ADDRESS);
        releaseContext = h(l, lib, "clReleaseContext", JAVA_INT, ADDRESS);
        getEventProfilingInfo = h(l, lib, "clGetEventProfilingInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        releaseEvent = h(l, lib, "clReleaseEvent", JAVA_INT, ADDRESS);
        waitForEvents = h(l, lib, "clWaitForEvents", JAVA_INT, JAVA_INT, ADDRESS);
        createSubDevices = lib.find("clCreateSubDevices").map(sym -> l.downcallHandle(sym, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS))).orElse(null);
        createProgramWithIL = lib.find("clCreateProgramWithIL").map(sym -> l.downcallHandle(sym, FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS))).orElse(null);
    }

    private static MethodHandle h(Linker l, SymbolLookup lib, String name, java.lang.foreign.MemoryLayout ret, java.lang.foreign.MemoryLayout... args) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new DeviceException("the OpenCL library has no " + name + " (an OpenCL 1.2 loader is needed)"));
        return l.downcallHandle(sym, FunctionDescriptor.of(ret, args));
    }

    /** The bindings, or a DeviceException saying why OpenCL cannot be used here. */
    static OpenCl get() {
        if (instance != null) return instance;
        synchronized (OpenCl.class) {
            if (instance != null) return instance;
            if (unavailable != null) throw new DeviceException(unavailable);
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup(System.getProperty("ggufc.opencl.lib", "libOpenCL.so.1"), Arena.global());
                instance = new OpenCl(lib);
                return instance;
            } catch (IllegalArgumentException e) {
                unavailable = "no OpenCL driver: libOpenCL.so.1 not found (install an ICD loader and a platform, e.g. `apt-get install ocl-icd-libopencl1 pocl-opencl-icd`)";
                throw new DeviceException(unavailable);
            }
        }
    }

    static boolean available() {
        try {
            get();
            return true;
        } catch (DeviceException e) {
            return false;
        }
    }

    static void check(int status, String what) {
        if (status != CL_SUCCESS) throw new DeviceException(what + " failed: " + ERRORS.getOrDefault(status, "error " + status));
    }

    static int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new DeviceException("OpenCL call failed: " + t, t);
        }
    }

    static MemorySegment callPtr(MethodHandle h, Object... args) {
        try {
            return (MemorySegment) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new DeviceException("OpenCL call failed: " + t, t);
        }
    }

    /** All platform handles (empty when the loader finds no platform). */
    List<MemorySegment> platforms() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = call(getPlatformIDs, 0, MemorySegment.NULL, n);
            if (st == -1001 || n.get(JAVA_INT, 0) == 0) return List.of();
            check(st, "clGetPlatformIDs");
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, count);
            check(call(getPlatformIDs, count, ids, MemorySegment.NULL), "clGetPlatformIDs");
            List<MemorySegment> r = new ArrayList<>();
            for (int i = 0; i < count; i++) r.add(ids.getAtIndex(ADDRESS, i));
            return r;
        }
    }

    List<MemorySegment> devices(MemorySegment platform) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = call(getDeviceIDs, platform, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, n);
            if (st == -1) return List.of();
            check(st, "clGetDeviceIDs");
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, count);
            check(call(getDeviceIDs, platform, CL_DEVICE_TYPE_ALL, count, ids, MemorySegment.NULL), "clGetDeviceIDs");
            List<MemorySegment> r = new ArrayList<>();
            for (int i = 0; i < count; i++) r.add(ids.getAtIndex(ADDRESS, i));
            return r;
        }
    }

    String platformString(MemorySegment p, int param) { return infoString(getPlatformInfo, p, param); }

    String deviceString(MemorySegment d, int param) { return infoString(getDeviceInfo, d, param); }

    /** A device string, or "" when the device does not know the query (older OpenCL versions). */
    String deviceStringOrEmpty(MemorySegment d, int param) {
        try {
            return deviceString(d, param);
        } catch (DeviceException e) {
            return "";
        }
    }

    long deviceLong(MemorySegment d, int param, int bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(8);
            check(call(getDeviceInfo, d, param, (long) bytes, v, MemorySegment.NULL), "clGetDeviceInfo");
            return bytes == 4 ? v.get(JAVA_INT, 0) & 0xffffffffL : v.get(JAVA_LONG, 0);
        }
    }

    private static String infoString(MethodHandle h, MemorySegment obj, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check(call(h, obj, param, 0L, MemorySegment.NULL, size), "clGet*Info");
            long n = size.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(1, n));
            check(call(h, obj, param, n, buf, MemorySegment.NULL), "clGet*Info");
            return cString(buf, n);
        }
    }

    static String cString(MemorySegment buf, long n) {
        byte[] b = buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        int len = 0;
        while (len < b.length && b[len] != 0) len++;
        return new String(b, 0, len, StandardCharsets.UTF_8).strip();
    }
}
