package org.memsfl.cli;

import java.util.function.Supplier;
import org.memsfl.util.BadInputException;

/**
 * Where option values become settings records. A record validates itself with an {@link IllegalArgumentException}
 * ("rank must be > 0, got 0"); built from what the user typed, that is bad input, so the CLI turns it into a
 * {@link BadInputException} (exit 2). Anywhere else an {@link IllegalArgumentException} is a bug (exit 1).
 */
final class UserInput {

    private UserInput() {
    }

    /** {@code build}'s value; its argument errors become bad input. */
    static <T> T check(Supplier<T> build) {
        try {
            return build.get();
        } catch (BadInputException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
    }
}
