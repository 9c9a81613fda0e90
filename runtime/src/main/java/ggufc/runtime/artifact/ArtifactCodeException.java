package ggufc.runtime.artifact;

import java.nio.file.Path;

/**
 * An artifact's compiled code failed while it ran. Its files passed their checksums, so the code
 * is the artifact's own (or was rewritten with new checksums): reported as the artifact's
 * problem, in one line, rather than as an error of ggufc.
 */
public final class ArtifactCodeException extends IllegalStateException {
    public ArtifactCodeException(Path artifact, RuntimeException cause) {
        super(artifact + ": its compiled step failed (" + cause.getClass().getSimpleName() + ": " + cause.getMessage()
                + "); the artifact's code or manifest was changed or does not fit its model: recompile with `ggufc compile`", cause);
    }
}
