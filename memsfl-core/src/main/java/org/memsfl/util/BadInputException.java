package org.memsfl.util;

/**
 * Bad input from the user: a missing or malformed file, a field with a wrong value, an unknown name.
 * The message is one line that names the file, field or value and what was expected; the CLI prints it
 * and exits with code 2 (no stack trace unless {@code --debug}).
 */
public class BadInputException extends RuntimeException {

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
