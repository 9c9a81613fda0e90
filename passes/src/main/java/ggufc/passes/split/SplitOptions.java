package ggufc.passes.split;

import ggufc.ir.TypeRules;
import ggufc.passes.PassException;
import java.util.Arrays;

/**
 * How a split pass divides a model, in llama.cpp's terms: over {@code devices} devices in {@code proportions}
 * ({@code --tensor-split}; empty = even), with {@code mainDevice} ({@code --main-gpu}) holding what row mode does not
 * split and receiving the outputs, and partial sums moving in {@code reduceType} ({@code --reduce-type}).
 */
public record SplitOptions(int devices, double[] proportions, int mainDevice, String reduceType) {
    public SplitOptions {
        if (devices < 1) throw new PassException("a split needs at least 1 device, got " + devices);
        if (proportions == null || proportions.length == 0) {
            proportions = new double[devices];
            Arrays.fill(proportions, 1);
        }
        if (proportions.length != devices) {
            throw new PassException("--tensor-split has " + proportions.length + " proportions for " + devices + " devices");
        }
        double sum = 0;
        for (double p : proportions) {
            if (!(p >= 0) || Double.isInfinite(p)) throw new PassException("--tensor-split proportions must be finite numbers >= 0, got " + Arrays.toString(proportions));
            sum += p;
        }
        if (sum <= 0) throw new PassException("--tensor-split proportions must not all be 0");
        proportions = proportions.clone();
        if (mainDevice < 0 || mainDevice >= devices) throw new PassException("--main-gpu " + mainDevice + " is not one of the " + devices + " devices (0.." + (devices - 1) + ")");
        if (!TypeRules.REDUCE_TYPES.contains(reduceType)) throw new PassException("--reduce-type must be one of " + TypeRules.REDUCE_TYPES + ", got " + reduceType);
    }

    public static SplitOptions even(int devices) { return new SplitOptions(devices, null, 0, "f32"); }

    /** Parses {@code --tensor-split} ("3,1"; empty or null = even). */
    public static double[] parseProportions(String s) {
        if (s == null || s.isBlank()) return null;
        String[] parts = s.split("[,/]");
        double[] r = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Double.parseDouble(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new PassException("--tensor-split must be numbers separated by commas, got '" + s + "'");
            }
        }
        return r;
    }

    /** Cumulative proportions starting at device {@code rotation} (llama.cpp's tensor_split_scan). */
    double[] scan(int rotation) {
        double[] r = new double[devices];
        for (int j = 0; j < devices; j++) r[j] = proportions[(j + rotation) % devices] + (j > 0 ? r[j - 1] : 0);
        return r;
    }

    /**
     * Segment sizes per device of {@code total} elements cut in {@code granularity} steps: llama.cpp's rule (each
     * cut rounded down to the granularity, the last device takes the rest; device order rotated by {@code rotation})
     * or, with {@code nearest}, each cut rounded to the nearest step.
     */
    long[] segments(long total, long granularity, int rotation, boolean nearest) {
        double[] scan = scan(rotation);
        long[] segs = new long[devices];
        long low = 0;
        int j = 0;
        for (; j < devices - 1; j++) {
            long high = (long) (total * scan[j] / scan[devices - 1]);
            if (nearest) high = Math.round((double) total * scan[j] / scan[devices - 1] / granularity) * granularity;
            else high -= high % granularity;
            high = Math.max(low, Math.min(total, high));
            segs[(j + rotation) % devices] = high - low;
            low = high;
        }
        segs[(j + rotation) % devices] = total - low;
        return segs;
    }
}
