package org.memsfl.grpc;

import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.memsfl.lora.AdapterSet;

/**
 * The edge server process (DESIGN.md section 7): one frozen model, the split federation service behind the token
 * interceptor, and the standard health service (not behind the interceptor, so probes need no token). Lifecycle as in
 * grpc-java's examples: {@link #start}, {@link #awaitFinished}, {@link #close}.
 */
public final class EdgeServer implements AutoCloseable {

    /** Health-checked service name. */
    public static final String SERVICE = SplitFederationService.NAME;

    /** Calls one device id may hold open at once: a device needs at most four (register, adapters, train, upload). */
    static final int CALLS_PER_DEVICE = 8;

    private final RoundCoordinator coordinator;
    private final CallLimits limits;
    private final HealthStatusManager health = new HealthStatusManager();
    private final Server server;
    private final Consumer<String> log;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private EdgeServer(ServerDeployment settings, DeviceTokens tokens, ServerBuilder<?> builder, Consumer<String> log,
                       Setting.Names names) {
        this.log = log;
        // NOT_SERVING while a round cannot be saved (the coordinator retries), SERVING again when it can
        this.coordinator = new RoundCoordinator(settings, log, this::serving, names);
        // a client stream silent for longer than a device waits for one gradient is abandoned
        this.limits = new CallLimits(CALLS_PER_DEVICE, CALLS_PER_DEVICE * Math.max(8, settings.fleetSize()),
                settings.stepTimeout(), log);
        try {
            // interceptors run last-first: the token check, then the limits on the authenticated id
            this.server = builder
                    .addService(ServerInterceptors.intercept(new SplitFederationService(coordinator, log), limits,
                            new TokenInterceptor(tokens, log)))
                    .addService(health.getHealthService())
                    .build()
                    .start();
        } catch (IOException e) {
            limits.close();
            coordinator.close();
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof java.net.BindException) {
                    // an operator's mistake (port taken, or not ours to bind), not an internal error
                    throw new org.memsfl.util.BadInputException("cannot listen on the port: " + c.getMessage(), e);
                }
            }
            throw new UncheckedIOException("cannot start the edge server: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            limits.close();
            coordinator.close();
            throw e;
        }
        serving(true);
    }

    private void serving(boolean ok) {
        ServingStatus st = ok ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        health.setStatus("", st);
        health.setStatus(SERVICE, st);
    }

    /** Loads the model and serves on {@code port} (0: any free port) with {@code credentials} (TLS or plaintext). */
    public static EdgeServer start(ServerDeployment settings, DeviceTokens tokens, ServerCredentials credentials, int port,
                                   Consumer<String> log) {
        return start(settings, tokens, credentials, port, log, Setting.FIELDS);
    }

    /**
     * {@link #start}, naming the settings in its messages (a stop's reason, which the devices are told too, and a
     * checkpoint it cannot resume from) as {@code names} does: the CLI passes its flags.
     */
    public static EdgeServer start(ServerDeployment settings, DeviceTokens tokens, ServerCredentials credentials, int port,
                                   Consumer<String> log, Setting.Names names) {
        return new EdgeServer(settings, tokens, Grpc.newServerBuilderForPort(port, credentials), log, names);
    }

    /** The same server on an in-process transport (tests). */
    public static EdgeServer startInProcess(ServerDeployment settings, DeviceTokens tokens, String name,
                                            Consumer<String> log) {
        return start(settings, tokens, InProcessServerBuilder.forName(name), log);
    }

    /** The same server on a transport the caller builds (as grpc-java's RouteGuideServer takes a ServerBuilder). */
    static EdgeServer start(ServerDeployment settings, DeviceTokens tokens, ServerBuilder<?> builder,
                            Consumer<String> log) {
        return new EdgeServer(settings, tokens, builder, log, Setting.FIELDS);
    }

    /** The bound port (-1 in process). */
    public int port() {
        return server.getPort();
    }

    /** Round open now: 0 before every device registered, rounds + 1 after the last round. */
    public int round() {
        return coordinator.round();
    }

    /**
     * Waits until the last round is aggregated (at most {@code timeout}), then at most {@code grace} more for every
     * device to fetch its final adapters (or, after an early stop, to be told so); returns summary.json's content.
     *
     * @throws RunStopped training stopped before its last round (no quorum, or the checkpoint could not be written)
     */
    public Map<String, Object> awaitFinished(Duration timeout, Duration grace) throws InterruptedException, TimeoutException {
        Map<String, Object> summary;
        try {
            summary = coordinator.finished().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RunStopped stopped) {
                serving(false); // training is over; probes see it while the devices are told
                // the same grace for the devices still in the round to hear it: they stop at once instead of
                // retrying a server that is gone until their join timeout
                awaitTrue(coordinator::allToldStopped, grace);
                throw stopped;
            }
            throw new IllegalStateException("training failed: " + e.getCause().getMessage(), e.getCause());
        }
        awaitTrue(coordinator::allFetchedFinal, grace);
        return summary;
    }

    private static void awaitTrue(java.util.function.Supplier<java.util.concurrent.CompletableFuture<Boolean>> check,
                                  Duration grace) throws InterruptedException {
        long until = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < until) {
            try {
                if (check.get().get()) {
                    return;
                }
            } catch (ExecutionException e) {
                return;
            }
            Thread.sleep(100);
        }
    }

    /** A copy of the current global adapters, which the caller closes. */
    public AdapterSet globalAdapters() {
        try {
            return coordinator.globalAdapters().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Stops serving (in-flight calls get a few seconds) and frees the model and all adapter state. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // a shutdown hook and try-with-resources may both close
        }
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            limits.close();
            coordinator.close();
            log.accept("edge server stopped");
        }
    }
}
