package ggufc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The ggufc version this runtime was built as (artifacts record it and refuse to run under another). */
public final class GgufcVersion {
    private GgufcVersion() {}

    private static final String VERSION = read();

    public static String get() { return VERSION; }

    private static String read() {
        try (InputStream in = GgufcVersion.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
