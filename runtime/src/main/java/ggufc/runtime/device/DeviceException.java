package ggufc.runtime.device;

/** A device or driver failure, with a message saying what to do next where there is something to do. */
public final class DeviceException extends RuntimeException {
    public DeviceException(String message) { super(message); }

    public DeviceException(String message, Throwable cause) { super(message, cause); }
}
