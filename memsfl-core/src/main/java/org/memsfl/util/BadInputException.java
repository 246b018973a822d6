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
 *
 * <p>A message that names a {@link Setting} is built from the names its reader knows the settings by
 * ({@link #message(Setting.Names)}; the CLI's flags); {@link #getMessage()} names them by core's API fields.
 */
public class BadInputException extends IllegalArgumentException {

    /** A message naming settings, rendered with the names of whoever shows it. */
    @FunctionalInterface
    public interface Message {
        String in(Setting.Names names);
    }

    private final transient Message message;   // null: a plain message that names no setting

    public BadInputException(String message) {
        super(message);
        this.message = null;
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
        this.message = null;
    }

    public BadInputException(Message message) {
        super(message.in(Setting.FIELDS));
        this.message = message;
    }

    public BadInputException(Message message, Throwable cause) {
        super(message.in(Setting.FIELDS), cause);
        this.message = message;
    }

    /** The message with each setting named by {@code names} (a plain message as it is). */
    public String message(Setting.Names names) {
        return message == null ? getMessage() : message.in(names);
    }
}
