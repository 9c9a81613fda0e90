package ggufc.passes.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The devices and links {@code ggufc simulate} knows, read from {@code devices.tsv} beside this class: every
 * number cites its row of {@code ../shared/SPLIT-MODES.md} (or says it is an estimate) in the row's source column.
 */
public final class DeviceCatalog {
    /** A device: memory (GB), peak memory bandwidth (GB/s), dense FP16 tensor TFLOPS, per-kernel overhead (µs). */
    public record Device(String id, String name, double memGb, double bandwidthGbs, double tflops, double kernelUs, String source) {}

    /** A link between devices: effective one-direction bandwidth (GB/s) and latency per collective α (µs). */
    public record Link(String id, String name, double bandwidthGbs, double alphaUs, String source) {}

    private static final Map<String, Device> DEVICES = new LinkedHashMap<>();
    private static final Map<String, Link> LINKS = new LinkedHashMap<>();

    static {
        try (InputStream in = DeviceCatalog.class.getResourceAsStream("devices.tsv")) {
            if (in == null) throw new IllegalStateException("devices.tsv missing from the class path");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#") || line.startsWith("kind\t")) continue;
                String[] f = line.split("\t");
                if (f[0].equals("device")) {
                    DEVICES.put(f[1], new Device(f[1], f[2], Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]), f[7]));
                } else if (f[0].equals("link")) {
                    LINKS.put(f[1], new Link(f[1], f[2], Double.parseDouble(f[3]), Double.parseDouble(f[4]), f[7]));
                } else {
                    throw new IllegalStateException("devices.tsv: unknown row kind '" + f[0] + "'");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private DeviceCatalog() {}

    public static Map<String, Device> devices() { return java.util.Collections.unmodifiableMap(DEVICES); }

    public static Map<String, Link> links() { return java.util.Collections.unmodifiableMap(LINKS); }

    public static Device device(String id) {
        Device d = DEVICES.get(id.toLowerCase(Locale.ROOT));
        if (d == null) throw new IllegalArgumentException("unknown device '" + id + "' (known: " + String.join(", ", DEVICES.keySet()) + ")");
        return d;
    }

    public static Link link(String id) {
        Link l = LINKS.get(id.toLowerCase(Locale.ROOT));
        if (l == null) throw new IllegalArgumentException("unknown link '" + id + "' (known: " + String.join(", ", LINKS.keySet()) + ")");
        return l;
    }

    /** {@code 4xrtx4090}, {@code rtx4090,rtx3090} or {@code 2xrtx3090,rtx4090}: the device list, in order. */
    public static List<Device> parseDevices(String spec) {
        List<Device> r = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim().toLowerCase(Locale.ROOT);
            if (p.isEmpty()) throw new IllegalArgumentException("empty device in '" + spec + "'");
            int n = 1;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*[x*]\\s*(.+)").matcher(p);
            if (m.matches()) {
                n = Integer.parseInt(m.group(1));
                p = m.group(2);
                if (n < 1 || n > 64) throw new IllegalArgumentException("device count " + n + " in '" + part.trim() + "' must be 1 to 64");
            }
            Device d = device(p);
            for (int i = 0; i < n; i++) r.add(d);
        }
        return r;
    }

    /** The default link of a device list: none for one device, else the link its catalog row names (RTX 4090: PCIe 4 with the stock driver, P2P off). */
    public static Link defaultLink(List<Device> devices) {
        String id = switch (devices.getFirst().id()) {
            case "rtx3090" -> "pcie4-3090";
            case "rtx4090" -> "pcie4-nop2p";
            case "rtx5090", "rtx5060ti", "h100-pcie" -> "pcie5";
            case "a100-80g", "a100-40g" -> "nvlink3";
            case "h100-sxm", "h200" -> "nvlink4";
            case "mi300x" -> "xgmi";
            case "cpu-zen5-2c" -> "loopback";
            case "strix-halo", "m2-ultra", "m3-ultra", "m4-max", "m1-max" -> "host";
            default -> "pcie4";
        };
        return LINKS.get(id);
    }
}
