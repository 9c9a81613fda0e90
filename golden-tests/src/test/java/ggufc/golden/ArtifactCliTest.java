package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.runtime.artifact.GgufHash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ggufc compile} and {@code ggufc run --artifact} end to end: the artifact gives the README's
 * greedy text (llama.cpp's), and a changed GGUF, a modified or truncated artifact file, an edited
 * manifest or another ggufc version is refused with one line.
 */
class ArtifactCliTest {
    @TempDir
    static Path dir;

    static Path gguf, artifact;

    @BeforeAll
    static void compile() throws IOException {
        gguf = dir.resolve("stories260K.gguf");
        Files.copy(Goldens.sharedModel("stories260K.gguf"), gguf);
        artifact = dir.resolve("stories.aot");
        CliTest.Run r = CliTest.ggufc("compile", "--model", gguf.toString(), "-o", artifact.toString(), "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("compiled stories260K.gguf"), r.err());
    }

    static Path copyArtifact(String name) throws IOException {
        Path copy = dir.resolve(name);
        try (var s = Files.walk(artifact)) {
            for (Path p : s.toList()) {
                Path t = copy.resolve(artifact.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t); else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return copy;
    }

    static String oneLineError(CliTest.Run r) {
        assertEquals(1, r.exit(), r.out());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("ggufc: "), err);
        return err;
    }

    @Test
    void artifactHoldsWhatTheManifestLists() {
        for (String f : new String[] {"manifest.properties", "model.ir", "plan.txt", "src/ggufc/generated/LlamaStep.java", "classes/ggufc/generated/LlamaStep.class"}) {
            assertTrue(Files.isRegularFile(artifact.resolve(f)), f);
        }
    }

    @Test
    void runArtifactPrintsLlamaCppGreedyText() throws IOException {
        CliTest.Run r = CliTest.ggufc("run", "--artifact", artifact.toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0", "--threads", "2", "--timings");
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.matches("timings: load \\d+ ms, prompt 5 tok [0-9.]+ tok/s, decode 31 tok [0-9.]+ tok/s"), last);
    }

    @Test
    void changedModelIsRefused() throws IOException {
        Path a = copyArtifact("changed-model.aot");
        Path other = dir.resolve("changed.gguf");
        Files.copy(gguf, other);
        byte[] b = Files.readAllBytes(other);
        b[b.length - 100] ^= 1; // one weight bit
        Files.write(other, b);
        String err = oneLineError(CliTest.ggufc("run", "--artifact", a.toString(), "--model", other.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains("changed since it was compiled"), err);
    }

    @Test
    void modifiedClassIsRefused() throws IOException {
        Path a = copyArtifact("tampered.aot");
        Path cls = a.resolve("classes/ggufc/generated/LlamaStep.class");
        byte[] b = Files.readAllBytes(cls);
        b[b.length / 2] ^= 0x20;
        Files.write(cls, b);
        String err = oneLineError(CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains("classes/ggufc/generated/LlamaStep.class was modified or truncated"), err);
    }

    @Test
    void truncatedSourceIsRefused() throws IOException {
        Path a = copyArtifact("truncated.aot");
        Path src = a.resolve("src/ggufc/generated/LlamaStep.java");
        byte[] b = Files.readAllBytes(src);
        Files.write(src, java.util.Arrays.copyOf(b, b.length / 3));
        String err = oneLineError(CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains("was modified or truncated"), err);
    }

    @Test
    void editedManifestIsRefused() throws IOException {
        Path a = copyArtifact("edited.aot");
        Path mf = a.resolve("manifest.properties");
        Files.writeString(mf, Files.readString(mf).replace("threads=2", "threads=3"));
        String err = oneLineError(CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains("manifest was modified or truncated"), err);
    }

    @Test
    void otherVersionIsRefused() throws IOException {
        Path a = copyArtifact("old.aot");
        Path mf = a.resolve("manifest.properties");
        String text = Files.readString(mf);
        String body = text.substring(0, text.lastIndexOf("manifest.sha256=")).replaceFirst("ggufc.version=[^\n]*", "ggufc.version=0.0.1");
        // a consistent manifest (checksum recomputed as documented) from another version
        Files.writeString(mf, body + "manifest.sha256=" + GgufHash.sha256(body.getBytes(StandardCharsets.UTF_8)) + "\n");
        String err = oneLineError(CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains("compiled by ggufc 0.0.1") && err.contains("recompile"), err);
    }

    @Test
    void notAnArtifactIsRefused() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        String err = oneLineError(CliTest.ggufc("run", "--artifact", empty.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains("not a ggufc artifact"), err);
    }

    @Test
    void manifestWithAFlippedByteIsRefusedInOneLine() throws IOException {
        Path a = copyArtifact("flipped.aot");
        Path mf = a.resolve("manifest.properties");
        byte[] b = Files.readAllBytes(mf);
        b[40] = (byte) 0xC3; // a UTF-8 lead byte with no continuation: the file no longer decodes
        Files.write(mf, b);
        String err = oneLineError(CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains(mf.toString()) && err.contains("manifest was modified or truncated"), err);
    }

    @Test
    void truncatedClassWithRecomputedChecksumsIsRefusedInOneLine() throws IOException {
        Path a = copyArtifact("truncated-class.aot");
        Path cls = a.resolve("classes/ggufc/generated/LlamaStep.class");
        byte[] b = Files.readAllBytes(cls);
        Files.write(cls, java.util.Arrays.copyOf(b, b.length / 2));
        ggufc.runtime.fuzz.ArtifactMutator.resign(a, body -> body);
        CliTest.Run r = CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2");
        String err = oneLineError(r);
        assertTrue(err.contains(cls.toString()) && err.contains("not a loadable class file"), err);
        assertTrue(!r.err().contains("\tat "), r.err());
    }

    @Test
    void nativeKernelsOfAnotherSourceAreRefusedInOneLine() throws IOException {
        // an artifact built by another version of kernels.c (its library may lack a kernel this runtime calls)
        Path a = copyArtifact("old-kernels.aot");
        String manifest = Files.readString(a.resolve("manifest.properties"));
        assertTrue(manifest.contains("\nkernels=native\n"), "this machine builds the native kernels into artifacts: " + manifest);
        ggufc.runtime.fuzz.ArtifactMutator.resign(a, body -> body.replaceFirst("\nkernels.source=[0-9a-f]+", "\nkernels.source=0123456789abcdef"));
        CliTest.Run r = CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2");
        String err = oneLineError(r);
        assertTrue(err.contains(a.toString()) && err.contains("another version of the native kernels") && err.contains("recompile"), err);
        assertTrue(!r.err().contains("\tat "), r.err());
    }

    @Test
    void nonNumericManifestValueIsRefusedInOneLine() throws IOException {
        Path a = copyArtifact("ctx-x.aot");
        ggufc.runtime.fuzz.ArtifactMutator.resign(a, body -> body.replaceFirst("\nctx=\\d+", "\nctx=x"));
        String err = oneLineError(CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains(a.resolve("manifest.properties").toString()) && err.contains("'ctx' is 'x', not a whole number"), err);
    }

    @Test
    void failedCompileLeavesNoHalfWrittenFolder() throws IOException {
        Path bad = dir.resolve("not-a-model.gguf");
        Files.writeString(bad, "GGUF but not really");
        Path out = dir.resolve("failed.aot");
        oneLineError(CliTest.ggufc("compile", "--model", bad.toString(), "-o", out.toString(), "--no-jvm-cache"));
        // a folder left behind without a manifest would make the next compile to it refuse
        assertTrue(!Files.exists(out), "compile left " + out + " behind");
        CliTest.Run again = CliTest.ggufc("compile", "--model", gguf.toString(), "-o", out.toString(), "--no-jvm-cache");
        assertEquals(0, again.exit(), again.err());
    }

    @Test
    void manifestNamingAnotherClassIsRefusedInOneLine() throws IOException {
        Path a = copyArtifact("other-class.aot");
        ggufc.runtime.fuzz.ArtifactMutator.resign(a, body -> body.replaceFirst("\nclass=[^\n]*", "\nclass=ggufc.cli.Main"));
        String err = oneLineError(CliTest.ggufc("run", "--artifact", a.toString(), "--prompt", "Hi", "-n", "2"));
        assertTrue(err.contains(a.toString()) && err.contains("class ggufc.cli.Main") && err.contains("is not a compiled model"), err);
    }
}
