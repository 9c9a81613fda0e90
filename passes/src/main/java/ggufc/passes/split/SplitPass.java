package ggufc.passes.split;

import ggufc.ir.Graph;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;

/** A split mode as a pass: its {@link Sharder.Policy} over the options' devices, run by the one engine, its collectives counted. */
abstract class SplitPass implements Pass {
    final SplitOptions opt;

    SplitPass(SplitOptions opt) { this.opt = opt; }

    /** Where this mode cuts weights and keeps whole values. */
    abstract Sharder.Policy policy();

    @Override
    public Graph run(Graph g, PassContext cx) {
        Graph out = Sharder.split(g, policy(), opt);
        SplitStats.count(out, cx);
        return out;
    }
}
