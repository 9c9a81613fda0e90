package ggufc.codegen.tornado.tornadovm;

import ggufc.codegen.tornado.lower.LaunchPlan;
import java.nio.file.Path;
import java.util.List;

/** Placeholder replaced by the JavaPoet exporter. */
public final class TornadoExport {
    private TornadoExport() {}

    public static List<Path> write(LaunchPlan plan, String name, Path dir) {
        throw new UnsupportedOperationException("tornado export");
    }
}
