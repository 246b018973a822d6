package org.memsfl.grpc;

/**
 * The edge server stopped training before its last round, for a reason that is neither bad input nor a bug: the fleet
 * fell below its quorum ({@code --min-devices}), or the checkpoint could not be written within the retry time. What
 * was kept (the last good round's adapters and checkpoint) is on disk, and {@code --resume} continues from it.
 */
public final class RunStopped extends RuntimeException {

    public RunStopped(String message) {
        super(message);
    }
}
