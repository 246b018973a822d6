package org.memsfl.round;

/**
 * Where one registered device stands in the current round, as the server sees it.
 *
 * <pre>
 *   REGISTERED --beginRound--> TRAINING --upload--> UPLOADED --endRound--> REGISTERED
 *                                  \--deadline--> LEFT_OUT --endRound--> REGISTERED (missed the round)
 * </pre>
 */
public enum DevicePhase {
    /** Registered; no round is open for it (before round 1, or between a round's end and the next's start). */
    REGISTERED,
    /** The round is open: its local steps are being served, {@code stepsDone} of them so far. */
    TRAINING,
    /** Its adapters for this round are in; it waits for the round's end. */
    UPLOADED,
    /** Its deadline passed: the round ends without it, and it rejoins at the next round from the aggregate. */
    LEFT_OUT
}
