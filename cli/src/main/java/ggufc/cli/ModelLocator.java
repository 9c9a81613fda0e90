package ggufc.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a model given as a path. A relative path that does not exist from the working directory
 * is looked up in $GGUFC_MODELS, ./models, ../shared/models and ~/.cache/ggufc/models, in that order.
 */
final class ModelLocator {
    private ModelLocator() {}

    static List<Path> searchPath() {
        List<Path> dirs = new ArrayList<>();
        String env = System.getenv("GGUFC_MODELS");
        if (env != null && !env.isBlank()) dirs.add(Path.of(env));
        dirs.add(Path.of("models"));
        dirs.add(Path.of("..", "shared", "models"));
        dirs.add(defaultDownloadDir());
        return dirs;
    }

    static Path defaultDownloadDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "ggufc", "models");
    }

    static Path resolve(String model) {
        Path p = Path.of(model);
        if (Files.isRegularFile(p)) return p;
        if (!p.isAbsolute()) {
            for (Path dir : searchPath()) {
                Path c = dir.resolve(model);
                if (Files.isRegularFile(c)) return c;
            }
        }
        StringBuilder msg = new StringBuilder(model + ": model file not found");
        if (!p.isAbsolute()) msg.append(" (looked in ").append(searchPath()).append(')');
        PullCommand.Known known = PullCommand.Known.byFileName(p.getFileName().toString());
        if (known != null) {
            msg.append("; run `./ggufc pull ").append(known.id()).append("` to download it from Hugging Face ").append(known.repo())
               .append(", or point --model at a copy (this repository's CI uses ../shared/models)");
        }
        throw new IllegalArgumentException(msg.toString());
    }
}
