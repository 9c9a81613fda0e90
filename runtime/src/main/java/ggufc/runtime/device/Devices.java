package ggufc.runtime.device;

import java.util.ArrayList;
import java.util.List;

/**
 * The devices `--device` can name: {@code cpu} (the host executor), {@code opencl:N} (N-th OpenCL
 * device over all platforms; {@code opencl:N:spirv} takes our SPIR-V instead of OpenCL C) and
 * {@code cuda:N}.
 */
public final class Devices {
    private Devices() {}

    /** One line per usable device, and a line per driver that is missing, saying why. */
    public static List<String> describe() {
        List<String> r = new ArrayList<>();
        r.add("cpu  the host (reference interpreter)");
        List<OpenClDevice.Info> cl = OpenClDevice.list();
        if (cl.isEmpty()) r.add("# opencl: " + why(() -> OpenClDevice.open(0)));
        for (OpenClDevice.Info i : cl) r.add(i.line());
        List<CudaDevice.Info> cu = CudaDevice.list();
        if (cu.isEmpty()) r.add("# cuda: " + why(() -> CudaDevice.open(0)));
        for (CudaDevice.Info i : cu) r.add(i.line());
        return r;
    }

    private static String why(Runnable open) {
        try {
            open.run();
            return "no device";
        } catch (DeviceException e) {
            return e.getMessage();
        }
    }

    /**
     * Opens the GPU devices of a split run: {@code opencl:N}, {@code cuda:N}, or sub-devices {@code opencl:N.S} (the
     * list's sub-devices of one device cut it into that many equal parts). Closes what it opened on failure.
     */
    public static List<Device> openAll(List<String> ids) {
        List<Device> r = new ArrayList<>();
        try {
            for (String id : ids) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("opencl:(\\d+)\\.(\\d+)").matcher(id);
                if (m.matches()) {
                    String root = "opencl:" + m.group(1) + ".";
                    int count = (int) ids.stream().filter(x -> x.startsWith(root)).count();
                    r.add(OpenClDevice.openSub(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), count));
                } else {
                    Device d = open(id);
                    if (d == null) throw new IllegalArgumentException("--device " + id + " in a GPU split: list GPU devices or OpenCL sub-devices (opencl:0.0,opencl:0.1), or only CPU sub-devices (cpu:0,cpu:1)");
                    r.add(d);
                }
            }
            return r;
        } catch (RuntimeException e) {
            for (Device d : r) d.close();
            throw e;
        }
    }

    /** Opens a device by id; null for {@code cpu}. */
    public static Device open(String id) {
        String[] p = id.split(":");
        try {
            return switch (p[0]) {
                case "cpu" -> {
                    if (p.length != 1) throw new NumberFormatException();
                    yield null;
                }
                case "opencl" -> {
                    if (p.length == 2) yield OpenClDevice.open(Integer.parseInt(p[1]));
                    if (p.length == 3 && p[2].equals("spirv")) yield OpenClDevice.open(Integer.parseInt(p[1]), OpenClDevice.Source.SPIRV);
                    throw new NumberFormatException();
                }
                case "cuda" -> {
                    if (p.length != 2) throw new NumberFormatException();
                    yield CudaDevice.open(Integer.parseInt(p[1]));
                }
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--device must be cpu, opencl:N, opencl:N:spirv or cuda:N, got '" + id + "'");
        }
    }
}
