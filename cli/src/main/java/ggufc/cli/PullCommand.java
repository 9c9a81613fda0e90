package ggufc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a known model from Hugging Face with a progress bar (needs internet access)."})
final class PullCommand implements Callable<Integer> {
    /** Models `pull` knows by name. */
    enum Known {
        STORIES260K("stories260K", "ggml-org/models", "tinyllamas/stories260K.gguf");

        private final String id, repo, file;

        Known(String id, String repo, String file) {
            this.id = id;
            this.repo = repo;
            this.file = file;
        }

        String id() { return id; }
        String repo() { return repo; }
        String fileName() { return Path.of(file).getFileName().toString(); }
        URI url() { return URI.create("https://huggingface.co/" + repo + "/resolve/main/" + file); }

        static Known byId(String id) {
            for (Known k : values()) if (k.id.equalsIgnoreCase(id) || k.fileName().equalsIgnoreCase(id)) return k;
            return null;
        }

        static Known byFileName(String name) {
            for (Known k : values()) if (k.fileName().equals(name)) return k;
            return null;
        }
    }

    @Parameters(index = "0", defaultValue = "stories260K", description = "Model to fetch (known: stories260K = ggml-org/models tinyllamas/stories260K.gguf). Default: ${DEFAULT-VALUE}.")
    String name;

    @Option(names = {"-o", "--output-dir"}, description = "Where to put it (default: ~/.cache/ggufc/models, which --model searches).")
    Path outDir;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Known k = Known.byId(name);
        if (k == null) throw new IllegalArgumentException("unknown model '" + name + "' (known: stories260K)");
        Path dir = outDir != null ? outDir : ModelLocator.defaultDownloadDir();
        Files.createDirectories(dir);
        Path target = dir.resolve(k.fileName());
        Path part = dir.resolve(k.fileName() + ".part");
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(20)).build();
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(HttpRequest.newBuilder(k.url()).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new IOException("cannot reach " + k.url().getHost() + " (" + Main.describe(e) + "); without internet, copy " + k.fileName() + " into " + dir + " by hand", e);
        }
        if (resp.statusCode() != 200) throw new IOException(k.url() + " answered HTTP " + resp.statusCode());
        long total = resp.headers().firstValueAsLong("content-length").orElse(-1);
        try (InputStream in = resp.body(); OutputStream out = Files.newOutputStream(part);
             ProgressBar pb = ProgressBars.builder(k.fileName()).setInitialMax(total).setUnit(" KiB", 1024).build()) {
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) {
                out.write(buf, 0, r);
                pb.stepBy(r);
            }
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.err.println("ggufc: saved " + target);
        return 0;
    }
}
