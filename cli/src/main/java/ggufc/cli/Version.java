package ggufc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** The ggufc version, from the build (filtered resource). */
public final class Version implements CommandLine.IVersionProvider {
    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("/ggufc-version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {"ggufc " + get() + " (Java " + Runtime.version() + ")"};
    }
}
