package org.memsfl.grpc;

import io.grpc.Status;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.memsfl.round.DevicePhase;
import org.memsfl.round.ServerDevice;

/**
 * GetAdapters on the edge server: each device's device-side adapters of the open round (encoded by the coordinator
 * into its {@link Registrations.Peer}), handed out once that round is open. A request for a later round waits for it;
 * one for a round already past gets the current one (the device rejoins there).
 */
final class AdapterHandout {

    /**
     * The device's view of one round's adapters, which the service sends as a header and the chunks.
     *
     * @param round            the round these adapters start (rounds + 1: the final adapters)
     * @param trainingFinished true after the last round
     * @param stopped          why training stopped early (null while it goes on); then no adapters follow
     * @param adapters         the device-side adapters, encoded
     */
    record AdaptersReply(int round, boolean trainingFinished, String stopped, AdapterWire.Encoded adapters) {
    }

    private final int rounds;
    private final Registrations registrations;
    private final Function<String, ServerDevice> device;
    private final Executor worker;
    private final IntSupplier round;
    private final Supplier<String> unavailable;
    private final Map<Integer, CompletableFuture<Void>> opened = new HashMap<>();
    private int resumedRound;            // the round a resumed server opened first (0: not resumed)
    private volatile String stopped;     // why training stopped early (null while it goes on)

    /**
     * @param device      a registered device, or the transport's error
     * @param round       the round open now (rounds + 1 after the last)
     * @param unavailable why the server cannot hand out adapters now (null when it can)
     */
    AdapterHandout(int rounds, Registrations registrations, Function<String, ServerDevice> device, Executor worker,
                   IntSupplier round, Supplier<String> unavailable) {
        this.rounds = rounds;
        this.registrations = registrations;
        this.device = device;
        this.worker = worker;
        this.round = round;
        this.unavailable = unavailable;
    }

    /** The server resumed from a checkpoint and opened round {@code r} first. */
    void resumedAt(int r) {
        resumedRound = r;
    }

    /**
     * Training stopped early (worker thread): every request, waiting or new, is answered with a header that carries
     * {@code why} and no tensors, which a device takes as final.
     */
    void stopped(String why) {
        stopped = why;
        opened.values().forEach(f -> f.complete(null));
    }

    /** True once every device in {@code ids} was told that training stopped. */
    boolean toldStopped(java.util.Collection<String> ids) {
        return ids.stream().allMatch(id -> registrations.peer(id).toldStopped);
    }

    /** Round {@code r} is open: every request waiting for it or an earlier one is answered (worker thread). */
    void opened(int r) {
        opened.forEach((k, f) -> {
            if (k <= r) {
                f.complete(null);
            }
        });
    }

    /**
     * Completes when round {@code requested} is open (or training is past it) with the device-side adapters of the
     * current round.
     */
    CompletableFuture<AdaptersReply> adapters(String id, int requested) {
        return CompletableFuture.supplyAsync(() -> {
            ServerDevice d = device.apply(id);
            String why = unavailable.get();
            if (stopped != null) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            if (why != null) {
                throw Statuses.of(Status.UNAVAILABLE, why);
            }
            if (requested < 1 || requested > rounds + 1) {
                throw Statuses.of(Status.INVALID_ARGUMENT, "round " + Integer.toUnsignedString(requested)
                        + " is out of range: rounds run 1.." + rounds + ", and " + (rounds + 1)
                        + " asks for the final adapters");
            }
            int now = round.getAsInt();
            // after --resume a device may ask for the round after the one the crash took from it: it redoes this one
            boolean lost = resumedRound > 0 && now == resumedRound && requested == now + 1
                    && d.phase() == DevicePhase.TRAINING && d.stepsDone() == 0;
            if (requested <= now || lost) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            return opened.computeIfAbsent(requested, k -> new CompletableFuture<>());
        }, worker).thenCompose(f -> f).thenApplyAsync(v -> {
            device.apply(id);
            Registrations.Peer p = registrations.peer(id);
            int now = round.getAsInt();
            if (stopped != null) {
                p.toldStopped = true;
                return new AdaptersReply(now, false, stopped, AdapterWire.Encoded.NONE);
            }
            boolean done = now > rounds;
            if (done) {
                p.fetchedFinal = true;
            }
            return new AdaptersReply(now, done, null, p.adapters);
        }, worker);
    }
}
