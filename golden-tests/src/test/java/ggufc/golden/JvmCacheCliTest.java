package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.runtime.artifact.JvmCache;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The artifact's JVM cache ({@code jvm.aot}) end to end through the real {@code ./ggufc} launcher,
 * in a throwaway install: the repository's {@code ggufc} and {@code jdk.sh}, and this test's class
 * path packed into {@code cli/target/ggufc-cli.jar} and {@code cli/target/lib/*.jar} (the JVM caches
 * classes from jars only), with a build stamp and no sources, so the launcher never builds.
 * {@code compile} makes the cache; {@code run --artifact} starts from it and prints llama.cpp's greedy
 * text; with the cache corrupt, truncated, missing or made for other jars, {@code run} prints the same
 * text and nothing else. No timings are checked.
 */
class JvmCacheCliTest {
    @TempDir
    static Path dir;

    static Path install, artifact;

    record Run(int exit, String out, String err, String classLoads) {}

    @BeforeAll
    static void installAndCompile() throws IOException, InterruptedException {
        install = makeInstall(dir.resolve("install"));
        Path gguf = dir.resolve("stories260K.gguf");
        Files.copy(Goldens.sharedModel("stories260K.gguf"), gguf);
        artifact = dir.resolve("stories.aot");
        Run c = ggufc(install, Map.of(), "compile", "--model", gguf.toString(), "-o", artifact.toString(), "--threads", "2");
        assertEquals(0, c.exit(), c.err());
        assertTrue(c.err().contains("JVM cache " + artifact.resolve(JvmCache.FILE)), c.err());
    }

    /** The repository root: this module's parent. */
    static Path repository() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isRegularFile(here.resolve("ggufc")) ? here : here.getParent();
    }

    /** ROOT/ggufc, ROOT/jdk.sh, ROOT/cli/target/{ggufc-cli.jar, lib/*.jar, .ggufc-built} from this JVM's class path. */
    static Path makeInstall(Path root) throws IOException {
        Path lib = Files.createDirectories(root.resolve("cli/target/lib"));
        for (String f : List.of("ggufc", "jdk.sh")) Files.copy(repository().resolve(f), root.resolve(f));
        Files.setPosixFilePermissions(root.resolve("ggufc"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path module = Path.of("").toAbsolutePath();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath();
            if (p.startsWith(module) || !Files.exists(p)) continue; // golden-tests' own classes and goldens are not needed
            boolean cli = Files.isDirectory(p) ? Files.isRegularFile(p.resolve("ggufc/cli/Main.class")) : p.getFileName().toString().startsWith("ggufc-cli");
            Path target = cli ? root.resolve("cli/target/ggufc-cli.jar") : lib.resolve(String.format("%02d-%s.jar", n++, p.getFileName().toString().replaceAll("\\.jar$", "")));
            if (Files.isDirectory(p)) jar(p, target); else Files.copy(p, target);
        }
        assertTrue(Files.isRegularFile(root.resolve("cli/target/ggufc-cli.jar")), "the cli classes are on the test class path");
        Files.createFile(root.resolve("cli/target/.ggufc-built"));
        return root;
    }

    private static void jar(Path classes, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> s = Files.walk(classes)) {
            for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    /** ROOT/ggufc ARGS with {@code env} added; the JVM's class loading is logged to a file (JAVA_TOOL_OPTIONS). */
    static Run ggufc(Path root, Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt"), log = Files.createTempFile(dir, "classes", ".log");
        List<String> cmd = new ArrayList<>(List.of(root.resolve("ggufc").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> e = new HashMap<>(env);
        e.putIfAbsent("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log);
        pb.environment().remove("GGUFC_JVM_CACHE");
        pb.environment().putAll(e);
        int exit = pb.start().waitFor();
        return new Run(exit, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8), Files.readString(log, StandardCharsets.UTF_8));
    }

    static Run runGreedy(Path root, Path art) throws IOException, InterruptedException {
        return ggufc(root, Map.of(), "run", "--artifact", art.toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0", "--threads", "2");
    }

    /** Whether the run's JVM took ggufc's classes from the AOT cache. */
    static boolean fromCache(Run r) {
        assertTrue(r.classLoads().contains("ggufc.cli.Main source: "), "class loading was logged");
        return r.classLoads().contains("ggufc.cli.Main source: shared objects file");
    }

    static Path copyArtifact(String name) throws IOException {
        Path copy = dir.resolve(name);
        try (var s = Files.walk(artifact)) {
            for (Path p : s.toList()) {
                Path t = copy.resolve(artifact.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t); else Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return copy;
    }

    /** Output as if no cache had been there: llama.cpp's text, nothing from the JVM about the cache. */
    static void assertPlainRun(Run r) throws IOException {
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
        for (String l : r.err().lines().toList()) {
            assertFalse(l.contains("[aot]") || l.contains("[cds]") || l.contains("AOT cache") || l.contains("shared archive"), "JVM cache message on stderr: " + l);
        }
    }

    @Test
    void compileListsTheCacheOutsideTheChecksums() throws IOException {
        assertTrue(Files.size(artifact.resolve(JvmCache.FILE)) > 1 << 20);
        String mf = Files.readString(artifact.resolve("manifest.properties"));
        assertTrue(mf.contains("\njvm.cache=jvm.aot\n"), mf);
        assertTrue(mf.contains("\njvm.cache.bytes=" + Files.size(artifact.resolve(JvmCache.FILE)) + "\n"), mf);
        assertFalse(mf.contains("file.jvm.aot"), "the cache is optional, not a checksummed artifact file");
        List<String> jars = new ArrayList<>(List.of(install.resolve("cli/target/ggufc-cli.jar").toString()));
        try (var s = Files.list(install.resolve("cli/target/lib"))) {
            s.map(Path::toString).sorted().forEach(jars::add);
        }
        assertEquals(JvmCache.classPathKey(jars), Files.readString(artifact.resolve(JvmCache.KEY)).strip(), "the key names the launcher's jars in its order");
    }

    @Test
    void runStartsFromTheCacheAndPrintsLlamaCppText() throws Exception {
        Run r = runGreedy(install, artifact);
        assertPlainRun(r);
        assertTrue(fromCache(r), "ggufc's classes come from jvm.aot");
        Run off = ggufc(install, Map.of("GGUFC_JVM_CACHE", "0"), "run", "--artifact", artifact.toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0");
        assertPlainRun(off);
        assertFalse(fromCache(off), "GGUFC_JVM_CACHE=0 runs without it");
        // the other spellings of the option
        assertTrue(fromCache(ggufc(install, Map.of(), "run", "-a" + artifact, "-p", "Hi", "-n", "2")));
        assertTrue(fromCache(ggufc(install, Map.of(), "run", "--artifact=" + artifact, "-p", "Hi", "-n", "2")));
    }

    @Test
    void corruptCacheIsDroppedByTheJvm() throws Exception {
        for (long at : new long[] {100, -1}) {
            Path a = copyArtifact("corrupt" + at + ".aot");
            Path cache = a.resolve(JvmCache.FILE);
            try (var ch = java.nio.channels.FileChannel.open(cache, java.nio.file.StandardOpenOption.WRITE)) {
                long pos = at >= 0 ? at : ch.size() / 2;
                ch.write(java.nio.ByteBuffer.wrap("not a cache, garbage".getBytes(StandardCharsets.US_ASCII)), pos);
            }
            Files.setLastModifiedTime(cache, FileTime.from(Instant.now()));
            Run r = runGreedy(install, a);
            assertPlainRun(r);
            assertFalse(fromCache(r), "a cache that fails the JVM's checksums is not used (damaged at " + at + ")");
        }
    }

    @Test
    void truncatedOrMissingCacheStillRuns() throws Exception {
        Path a = copyArtifact("truncated.aot");
        Path cache = a.resolve(JvmCache.FILE);
        try (var ch = java.nio.channels.FileChannel.open(cache, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 3);
        }
        Run r = runGreedy(install, a);
        assertPlainRun(r);
        assertFalse(fromCache(r));
        Files.delete(cache);
        r = runGreedy(install, a);
        assertPlainRun(r);
        assertFalse(fromCache(r));
        Files.write(cache, new byte[0]);
        assertPlainRun(runGreedy(install, a));
    }

    @Test
    void cacheOfOtherJarsIsNotUsed() throws Exception {
        // the cache's key with ggufc-cli.jar one second older: as if ggufc had been rebuilt since
        // (JDK 25.0.3 would take the cache and run the old classes: JDK-8377932)
        Path a = copyArtifact("other-jars.aot");
        String cli = install.resolve("cli/target/ggufc-cli.jar") + " ";
        String key = String.join("\n", Files.readString(a.resolve(JvmCache.KEY)).strip().lines().map(l -> {
            if (!l.startsWith(cli)) return l;
            String[] f = l.substring(cli.length()).split(" ");
            return cli + f[0] + " " + (Long.parseLong(f[1]) - 1);
        }).toList());
        assertFalse(key.equals(Files.readString(a.resolve(JvmCache.KEY)).strip()));
        Files.writeString(a.resolve(JvmCache.KEY), key + "\n");
        Run r = runGreedy(install, a);
        assertPlainRun(r);
        assertFalse(fromCache(r), "the jars changed since the cache was made: the launcher leaves it out");
    }

    @Test
    void tamperedClassIsStillRefusedWithACache() throws Exception {
        Path a = copyArtifact("tampered.aot");
        Path cls = a.resolve("classes/ggufc/generated/LlamaStep.class");
        byte[] b = Files.readAllBytes(cls);
        b[b.length / 2] ^= 0x20;
        Files.write(cls, b);
        Run r = ggufc(install, Map.of(), "run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2");
        assertEquals(1, r.exit(), r.out());
        assertEquals("", r.out());
        assertTrue(r.err().contains("LlamaStep.class was modified or truncated"), r.err());
    }
}
