package ggufc.runtime.artifact;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The artifact's JVM cache, {@code OUT/jvm.aot}: JDK 25's AOT cache (JEPs 483, 514 and 515) for the
 * JVM of {@code ggufc run --artifact OUT}, made by {@code ggufc compile} from a short training run
 * of the new artifact in a child JVM ({@code -XX:AOTCacheOutput}). It holds the classes that run
 * loaded from ggufc's jars and the JDK, already read, parsed and verified. With
 * {@code jdk.incubator.vector} in the boot layer JDK 25 archives no module graph, so it links no
 * classes ahead of time and keeps no method profiles (JEP 515); picocli's Java 5 classes are
 * skipped, and the artifact's own generated class comes from its own class loader and is not
 * cached.
 *
 * <p>The cache is optional: the {@code ./ggufc} launcher passes {@code -XX:AOTCache=OUT/jvm.aot} to
 * {@code run --artifact OUT} only while {@code OUT/jvm.aot.key} still names the launcher's class
 * path ({@link #classPathKey}: each jar's path, size and modification time). JDK 25.0.3 does not
 * compare the jars itself (JDK-8377932), so without the key a rebuilt ggufc would run the cached
 * old classes. The JVM checks the rest: its own build, its module options, and with
 * {@code -XX:+VerifySharedSpaces} the cache's checksums; a cache it refuses is dropped and the run
 * goes on without it (the launcher turns its logging off: the JVM writes it to stdout).
 *
 * <p>The manifest lists the cache ({@code jvm.cache}, its size and the training command) but keeps
 * it out of the checksummed {@code file.*} entries: a missing or damaged cache must not stop a run,
 * and the JVM maps it before any ggufc code could check it. Like {@code classes/}, it is code the
 * JVM runs: an artifact folder must be as trusted as the ggufc install.
 */
public final class JvmCache {
    private JvmCache() {}

    /** The cache file in the artifact folder. */
    public static final String FILE = "jvm.aot";
    /** The class path the cache was made with, as {@code stat -c '%n %s %Y'} prints it for each entry. */
    public static final String KEY = "jvm.aot.key";

    /**
     * The training run's arguments after {@code run --artifact OUT}: the README's prompt and a few
     * sampled tokens (seeded), so both the prompt and the decode steps, the tokenizer and the
     * sampler are exercised.
     */
    public static final List<String> TRAINING_ARGS = List.of("--prompt", "Once upon a time", "-n", "8", "--seed", "42");

    /** How long a training run may take before it is stopped and the artifact kept without a cache. */
    public static final Duration TIMEOUT = Duration.ofMinutes(5);

    /** A made cache, or why there is none ({@code skipped} non-null). */
    public record Result(Path file, long bytes, long millis, String skipped) {
        static Result skipped(String why) { return new Result(null, 0, 0, why); }
    }

    /**
     * One line {@code "PATH SIZE MTIME"} per class path entry (size in bytes, modification time in
     * whole seconds since the epoch), joined by newlines: what {@code stat -c '%n %s %Y'} prints for
     * the same paths, which is how the launcher checks that a cache belongs to its jars.
     */
    public static String classPathKey(List<String> classPath) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String e : classPath) {
            Path p = Path.of(e);
            lines.add(e + " " + Files.size(p) + " " + Files.getLastModifiedTime(p).to(TimeUnit.SECONDS));
        }
        return String.join("\n", lines);
    }

    /**
     * Why an AOT cache cannot be made for {@code classPath}, or null: it takes jar files only (no
     * class folders, also not through a jar manifest's {@code Class-Path}, as surefire's booter jar
     * has).
     */
    public static String unsupportedClassPath(List<String> classPath) {
        if (classPath.isEmpty()) return "empty class path";
        for (String e : classPath) {
            Path p = Path.of(e);
            if (Files.isDirectory(p)) return "class folder " + e + " on the class path (the JVM caches classes from jars only; `./ggufc` runs from jars)";
            if (!Files.isRegularFile(p) || !e.endsWith(".jar")) return "class path entry " + e + " is not a jar file";
            try (JarFile jar = new JarFile(p.toFile())) {
                Manifest mf = jar.getManifest();
                String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
                if (cp != null && !cp.isBlank()) {
                    for (String u : cp.trim().split("\\s+")) {
                        Path q = Path.of(p.toUri().resolve(URI.create(u)));
                        if (Files.isDirectory(q)) return "class folder " + q + " on the class path (through " + p.getFileName() + "'s manifest)";
                    }
                }
            } catch (IOException | IllegalArgumentException ex) {
                return "cannot read " + e + ": " + ex.getMessage();
            }
        }
        return null;
    }

    /** This JVM's class path, split. */
    public static List<String> currentClassPath() {
        String cp = System.getProperty("java.class.path", "");
        return cp.isEmpty() ? List.of() : Arrays.asList(cp.split(File.pathSeparator));
    }

    /**
     * This JVM's options minus those that must not reach a training run (another cache, logging,
     * agents, flight recordings): the training JVM gets the options {@code run} will have, so the
     * JVM accepts the cache (module options must match).
     */
    public static List<String> trainingOptions(List<String> inputArguments) {
        List<String> out = new ArrayList<>();
        for (String a : inputArguments) {
            if (a.startsWith("-XX:AOT") || a.startsWith("-XX:SharedArchiveFile") || a.startsWith("-XX:ArchiveClassesAtExit") || a.startsWith("-XX:+AutoCreateSharedArchive")
                    || a.startsWith("-XX:+VerifySharedSpaces") || a.startsWith("-Xshare") || a.startsWith("-Xlog") || a.startsWith("-agentlib") || a.startsWith("-agentpath")
                    || a.startsWith("-javaagent") || a.startsWith("-XX:+FlightRecorder") || a.startsWith("-XX:StartFlightRecording") || a.startsWith("-Djava.class.path")) {
                continue;
            }
            out.add(a);
        }
        return out;
    }

    /**
     * Makes {@code artifact/jvm.aot}: runs {@code java jvmOptions -XX:AOTCacheOutput=... -cp classPath
     * mainClass run --artifact ARTIFACT} with {@link #TRAINING_ARGS} and {@code runArgs}, then writes
     * the key and lists the cache in the manifest. Never throws for a cache that could not be made:
     * the result says why, and the artifact is left as it was.
     */
    public static Result make(Path artifact, String java, List<String> jvmOptions, List<String> classPath, String mainClass, List<String> runArgs) {
        String why = unsupportedClassPath(classPath);
        if (why != null) return Result.skipped(why);
        Path part = artifact.resolve(FILE + ".part"), log = artifact.resolve(FILE + ".log");
        long t0 = System.nanoTime();
        try {
            String key = classPathKey(classPath);
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.addAll(jvmOptions);
            cmd.add("-XX:AOTCacheOutput=" + part);
            cmd.add("-cp");
            cmd.add(String.join(File.pathSeparator, classPath));
            cmd.add(mainClass);
            cmd.addAll(List.of("run", "--artifact", artifact.toString()));
            cmd.addAll(TRAINING_ARGS);
            cmd.addAll(runArgs);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            boolean done = p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
                return Result.skipped("the training run took longer than " + TIMEOUT.toMinutes() + " minutes");
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(part)) {
                return Result.skipped("the training run failed (exit " + p.exitValue() + "): " + lastLine(log));
            }
            if (!key.equals(classPathKey(classPath))) return Result.skipped("the ggufc jars changed during the training run");
            Files.move(part, artifact.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(artifact.resolve(KEY), key + "\n", StandardCharsets.UTF_8);
            long bytes = Files.size(artifact.resolve(FILE));
            Artifact.Manifest m = Artifact.Manifest.read(artifact.resolve(Artifact.MANIFEST));
            m.put("jvm.cache", FILE);
            m.put("jvm.cache.bytes", Long.toString(bytes));
            m.put("jvm.cache.key", KEY);
            m.put("jvm.cache.training", "run --artifact OUT " + String.join(" ", quoted(TRAINING_ARGS)) + (runArgs.isEmpty() ? "" : " " + String.join(" ", runArgs)));
            m.write(artifact.resolve(Artifact.MANIFEST));
            return new Result(artifact.resolve(FILE), bytes, (System.nanoTime() - t0) / 1_000_000, null);
        } catch (IOException | UncheckedIOException e) {
            return Result.skipped(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.skipped("interrupted");
        } finally {
            try {
                Files.deleteIfExists(part);
                Files.deleteIfExists(artifact.resolve(FILE + ".part.config"));
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // leftovers of a failed run; the artifact works without them
            }
        }
    }

    /** {@code args} for a command line shown to users: those with a space in double quotes. */
    public static List<String> quoted(List<String> args) {
        return args.stream().map(a -> a.contains(" ") ? "\"" + a + "\"" : a).toList();
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("[") && !l.startsWith("WARNING: Using incubator")).toList();
            return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
        } catch (IOException | UncheckedIOException e) {
            return "(no output)";
        }
    }
}
