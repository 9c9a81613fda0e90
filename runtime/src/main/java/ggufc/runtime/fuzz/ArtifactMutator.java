package ggufc.runtime.fuzz;

import ggufc.runtime.artifact.Artifact;
import ggufc.runtime.artifact.GgufHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Tampered artifacts: a byte flipped, a file truncated or deleted, and, as someone who knows the
 * format would do it, a manifest value or a class file replaced with every checksum recomputed.
 */
public final class ArtifactMutator {
    private static final String[] KEYS = {"ctx", "io.tokens", "io.pos", "io.logits", "io.vocab", "io.all.logits", "class", "kv.bytes.per.token", "max.tokens",
            "threads", "format", "model.path", "model.hash", "kv.type", "target"};
    private static final String[] VALUES = {"x", "", "-1", "0", "1", "99999999999999", "2147483647", "-2147483648", "true", "NaN", "f16", "ggufc.cli.Main",
            "ggufc.generated.Missing", "/nonexistent.gguf", "sha256:00"};

    private final Path source;
    private final List<Path> files;

    /** Mutates copies of the artifact folder {@code source} (left as it is). */
    public ArtifactMutator(Path source) {
        this.source = source;
        try (Stream<Path> s = Files.walk(source)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The source artifact's size in bytes. */
    long bytes() {
        long n = 0;
        try {
            for (Path p : files) n += Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    /** Replaces {@code dir} with a fresh copy of the source and tampers with it; returns what was done. */
    public String mutate(Path dir, Random r) {
        try {
            copy(source, dir);
            Path f = dir.resolve(source.relativize(files.get(r.nextInt(files.size()))).toString());
            String rel = dir.relativize(f).toString();
            switch (r.nextInt(7)) {
                case 0 -> {
                    byte[] b = Files.readAllBytes(f);
                    if (b.length > 0) b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                    Files.write(f, b);
                    return "flip a bit of " + rel;
                }
                case 1 -> {
                    byte[] b = Files.readAllBytes(f);
                    Files.write(f, java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length)));
                    return "truncate " + rel;
                }
                case 2 -> {
                    Files.delete(f);
                    return "delete " + rel;
                }
                case 3, 4 -> {
                    String key = KEYS[r.nextInt(KEYS.length)], value = VALUES[r.nextInt(VALUES.length)];
                    resign(dir, body -> body.replaceFirst("(?m)^" + java.util.regex.Pattern.quote(key) + "=.*$", java.util.regex.Matcher.quoteReplacement(key + "=" + value)));
                    return "manifest " + key + "=" + value + ", re-signed";
                }
                default -> {
                    List<Path> code = new ArrayList<>();
                    for (Path p : files) {
                        String n = p.getFileName().toString();
                        if (n.endsWith(".class") || n.equals("model.ir")) code.add(dir.resolve(source.relativize(p).toString()));
                    }
                    Path c = code.get(r.nextInt(code.size()));
                    byte[] b = Files.readAllBytes(c);
                    String how;
                    if (r.nextBoolean()) {
                        b = java.util.Arrays.copyOf(b, r.nextInt(Math.max(1, b.length)));
                        how = "truncate";
                    } else {
                        for (int i = 0; i < 1 + r.nextInt(16); i++) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                        how = "scramble";
                    }
                    Files.write(c, b);
                    resign(dir, body -> body);
                    return how + " " + dir.relativize(c) + ", re-signed";
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Rewrites {@code dir}'s manifest as a tamperer who knows the format would: {@code edit} applied
     * to its body, then every file checksum and the manifest's own checksum recomputed.
     */
    public static void resign(Path dir, UnaryOperator<String> edit) throws IOException {
        Path mf = dir.resolve(Artifact.MANIFEST);
        String text = Files.readString(mf, StandardCharsets.UTF_8);
        StringBuilder body = new StringBuilder();
        for (String line : edit.apply(text.substring(0, text.lastIndexOf("manifest.sha256="))).split("\n", -1)) {
            if (line.startsWith("file.")) {
                String rel = line.substring(5, line.indexOf('='));
                Path p = dir.resolve(rel);
                if (Files.isRegularFile(p)) line = "file." + rel + "=" + GgufHash.sha256(Files.readAllBytes(p));
            }
            body.append(line).append('\n');
        }
        String b = body.substring(0, body.length() - 1);
        Files.writeString(mf, b + "manifest.sha256=" + GgufHash.sha256(b.getBytes(StandardCharsets.UTF_8)) + "\n", StandardCharsets.UTF_8);
    }

    static void copy(Path from, Path to) throws IOException {
        if (Files.exists(to)) {
            try (Stream<Path> s = Files.walk(to)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t); else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
