package org.memsfl.grpc;

/**
 * The edge server stopped training before its last round, for a reason that is neither bad input nor a bug: the fleet
 * fell below its quorum ({@code --min-devices}), or the checkpoint could not be written within the retry time. What
 * was kept (the last good round's adapters and checkpoint) is on disk, and {@code --resume} continues from it; when
 * the stop came in round 1 nothing was kept and the run starts over with {@code --overwrite}.
 */
public final class RunStopped extends RuntimeException {

    public RunStopped(String message) {
        super(message);
    }

    /**
     * How to go on after a stop when rounds 1..{@code kept} are saved: resume after them, or start over when none is
     * (a checkpoint exists only once a round was kept, so {@code --resume} after a round-1 stop would find nothing).
     */
    public static String restartHint(int kept) {
        return kept < 1 ? "run the server again with --overwrite (no round was kept, so there is nothing to resume)"
                : "run the server again with --resume (it continues after round " + kept + ")";
    }
}
