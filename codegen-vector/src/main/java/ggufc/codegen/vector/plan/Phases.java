package ggufc.codegen.vector.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * A split plan cut at its collectives: phase p holds each device's steps between two collectives ({@code steps.get(p)
 * .get(d)}, in plan order), then the collectives that follow it ({@code collectives.get(p)}). What the multi-device
 * executor and the code generated for split artifacts both run: the devices at once within a phase, the collectives
 * on one thread between phases. Steps without a device are device 0's.
 */
public record Phases(List<List<List<Step>>> steps, List<List<Step.OnDevice>> collectives) {
    public static Phases of(List<Step> plan, int devices) {
        List<List<List<Step>>> ph = new ArrayList<>();
        List<List<Step.OnDevice>> coll = new ArrayList<>();
        boolean open = false;
        for (Step s : plan) {
            Step.OnDevice od = s instanceof Step.OnDevice o ? o : new Step.OnDevice(0, s);
            if (od.collective()) {
                if (ph.isEmpty()) newPhase(ph, coll, devices);
                coll.getLast().add(od);
                open = false;
                continue;
            }
            if (!open) {
                newPhase(ph, coll, devices);
                open = true;
            }
            ph.getLast().get(Math.min(od.device(), devices - 1)).add(od.step());
        }
        return new Phases(ph, coll);
    }

    private static void newPhase(List<List<List<Step>>> ph, List<List<Step.OnDevice>> coll, int devices) {
        List<List<Step>> per = new ArrayList<>();
        for (int d = 0; d < devices; d++) per.add(new ArrayList<>());
        ph.add(per);
        coll.add(new ArrayList<>());
    }

    public int size() { return steps.size(); }
}
