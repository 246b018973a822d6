package org.memsfl.round;

/**
 * The round refuses what a device asked for (a step out of order, a stale round, an upload before its steps...).
 * Thrown by {@link SplitServer}; a transport maps the {@link Kind} to its own error (gRPC: a status code) and passes
 * the message on unchanged.
 */
public final class RoundRefusal extends RuntimeException {

    /** What kind of refusal, for the transport's error code. */
    public enum Kind {
        /** The request does not fit the round's state now (not open, finished, stale, left out, out of order). */
        PRECONDITION,
        /** It was already done (a second upload of the same round, a registered id or partition). */
        ALREADY_DONE,
        /** A value is out of its range. */
        INVALID,
        /** There is no room (the fleet is full). */
        EXHAUSTED
    }

    private final Kind kind;

    public RoundRefusal(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
