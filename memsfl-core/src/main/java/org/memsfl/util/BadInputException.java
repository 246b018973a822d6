package org.memsfl.util;

/**
 * Bad input from the user: a missing or malformed file, a field with a wrong value, an unknown name.
 * The message is one line that names the file, field or value and what was expected; the CLI prints it
 * and exits with code 2 (no stack trace unless {@code --debug}).
 *
 * <p>Only this type means "the user's input": a plain {@link IllegalArgumentException} thrown inside the system is a
 * bug and exits 1. Code that parses what a user typed (names, units, files) throws this; the CLI wraps the
 * {@link IllegalArgumentException} of a settings record built from options into it. It extends
 * {@link IllegalArgumentException} so that callers that catch argument errors keep catching it.
 */
public class BadInputException extends IllegalArgumentException {

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
