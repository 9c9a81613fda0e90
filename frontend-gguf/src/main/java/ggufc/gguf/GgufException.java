package ggufc.gguf;

import java.nio.file.Path;

/** A GGUF file that cannot be read; the message names the file and the problem. */
public final class GgufException extends RuntimeException {
    public GgufException(Path file, String problem) {
        super(file.getFileName() + ": " + problem);
    }

    public GgufException(Path file, String problem, Throwable cause) {
        super(file.getFileName() + ": " + problem, cause);
    }
}
