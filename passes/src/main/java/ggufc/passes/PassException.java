package ggufc.passes;

/** A pass refused to run (with the reason) or produced an invalid graph. */
public final class PassException extends RuntimeException {
    public PassException(String message) { super(message); }

    public PassException(String message, Throwable cause) { super(message, cause); }
}
