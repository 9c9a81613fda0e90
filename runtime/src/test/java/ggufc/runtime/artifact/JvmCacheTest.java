package ggufc.runtime.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of {@link JvmCache} the launcher depends on: the key is byte for byte what
 * {@code stat -c '%n %s %Y'} prints (the launcher compares the two), class folders are refused
 * (also behind a jar manifest's Class-Path), and a training JVM does not inherit cache or logging
 * options.
 */
class JvmCacheTest {
    @TempDir
    Path dir;

    private Path jar(String name, String manifestClassPath) throws IOException {
        Path p = dir.resolve(name);
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (manifestClassPath != null) mf.getMainAttributes().put(Attributes.Name.CLASS_PATH, manifestClassPath);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(p), mf)) {
            // a manifest only
        }
        return p;
    }

    @Test
    void keyIsWhatStatPrints() throws Exception {
        Path a = jar("a b.jar", null), b = jar("b.jar", null);
        Files.setLastModifiedTime(a, FileTime.from(Instant.parse("2026-01-02T03:04:05.678Z")));
        List<String> cp = List.of(a.toString(), b.toString());
        Process p = new ProcessBuilder("stat", "-c", "%n %s %Y", "--", a.toString(), b.toString()).redirectErrorStream(true).start();
        String stat = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), stat);
        assertEquals(stat, JvmCache.classPathKey(cp));
        assertTrue(JvmCache.classPathKey(cp).startsWith(a + " " + Files.size(a) + " 1767323045\n"), JvmCache.classPathKey(cp));
    }

    @Test
    void onlyJarsCanBackACache() throws IOException {
        Path plain = jar("plain.jar", null);
        assertNull(JvmCache.unsupportedClassPath(List.of(plain.toString())));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        String why = JvmCache.unsupportedClassPath(List.of(plain.toString(), classes.toString()));
        assertNotNull(why);
        assertTrue(why.contains("class folder"), why);
        // surefire's booter jar: a manifest whose Class-Path names folders
        Path booter = jar("booter.jar", classes.toUri().toString());
        why = JvmCache.unsupportedClassPath(List.of(booter.toString()));
        assertNotNull(why);
        assertTrue(why.contains("manifest"), why);
        assertNotNull(JvmCache.unsupportedClassPath(List.of()));
        assertNotNull(JvmCache.unsupportedClassPath(List.of(dir.resolve("missing.jar").toString())));
    }

    @Test
    void trainingRunKeepsModuleOptionsAndDropsCacheAndLoggingOptions() {
        List<String> in = List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m", "-XX:+UseParallelGC",
                "-XX:AOTCache=/x/jvm.aot", "-XX:+VerifySharedSpaces", "-Xlog:aot=off,cds=off", "-javaagent:/j.jar", "-Dggufc.home=/g");
        assertEquals(List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m", "-XX:+UseParallelGC", "-Dggufc.home=/g"),
                JvmCache.trainingOptions(in));
    }

    @Test
    void aFailedTrainingLeavesNoCache() throws IOException {
        Path art = Files.createDirectories(dir.resolve("art"));
        Path plain = jar("plain.jar", null);
        // a main class that does not exist: the training JVM exits with an error
        JvmCache.Result r = JvmCache.make(art, Path.of(System.getProperty("java.home"), "bin", "java").toString(), List.of(), List.of(plain.toString()), "no.such.Main", List.of());
        assertNotNull(r.skipped());
        assertTrue(r.skipped().contains("training run failed"), r.skipped());
        try (var s = Files.list(art)) {
            assertEquals(List.of(), s.toList(), "nothing left behind");
        }
    }
}
