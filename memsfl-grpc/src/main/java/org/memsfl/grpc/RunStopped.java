package org.memsfl.grpc;

/**
 * The edge server stopped training before its last round, for a reason that is neither bad input nor a bug: the fleet
 * fell below its quorum ({@link Setting#MIN_DEVICES}), or the checkpoint could not be written within the retry time.
 * What was kept (the last good round's adapters and checkpoint) is on disk, and resuming ({@link Setting#RESUME})
 * continues from it; when the stop came in round 1 nothing was kept and the run starts over
 * ({@link Setting#OVERWRITE}).
 */
public final class RunStopped extends RuntimeException {

    public RunStopped(String message) {
        super(message);
    }

    /** Why a round below the quorum stops the run, and how to go on. */
    static String belowQuorum(org.memsfl.round.RoundEnd end, int fleetSize, int minDevices, Setting.Names names) {
        return "round " + end.round() + " did not reach the quorum: " + end.participants().size() + " of " + fleetSize
                + " devices uploaded (" + end.participants() + "), " + names.of(Setting.MIN_DEVICES) + " is " + minDevices
                + "; its updates were discarded and the adapters stay those of round " + (end.round() - 1)
                + ". Start the missing devices and " + restartHint(end.round() - 1, names);
    }

    /** Why a round whose checkpoint could not be written stops the run, and how to go on. */
    static String noStorage(int round, String why, Setting.Names names) {
        return "cannot save round " + round + ": " + why + ". Free the storage and " + restartHint(round - 1, names);
    }

    /**
     * How to go on after a stop when rounds 1..{@code kept} are saved: resume after them, or start over when none is
     * (a checkpoint exists only once a round was kept, so resuming after a round-1 stop would find nothing).
     *
     * @param names how the caller names {@link Setting#RESUME} and {@link Setting#OVERWRITE} to its user
     */
    static String restartHint(int kept, Setting.Names names) {
        return kept < 1 ? "run the server again with " + names.of(Setting.OVERWRITE) + " (no round was kept, so there"
                + " is nothing to resume)"
                : "run the server again with " + names.of(Setting.RESUME) + " (it continues after round " + kept + ")";
    }
}
