package org.memsfl.cli;

/** A method's own process ended with {@code exitCode} (neither 0 nor bad input); the run ends with the same code. */
final class MethodProcessFailed extends RuntimeException {

    private final int exitCode;

    MethodProcessFailed(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
