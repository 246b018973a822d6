package org.memsfl.grpc;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.memsfl.util.BadInputException;

/**
 * Waits for the edge server before a device registers, telling the user what it is doing: each attempt is one
 * health check (the standard gRPC health service, which needs no token); while nothing answers it prints
 * {@code waiting for HOST:PORT (attempt n, next in s)} and backs off exponentially (1, 2, 4, ... s, at most 30 s)
 * until the connect timeout, then fails with one line. Any answer at all, even a refusal, means the server is there.
 *
 * <p>A TLS server reached in plaintext drops the connection during the handshake, and the client sees that in one
 * of four forms, depending on how the close races the client's first bytes ({@link Transport#tlsFailure}); each is
 * classified at the first attempt. A server that is merely starting refuses connections; it does not accept and
 * drop them.
 */
public final class ServerWait {

    /** Sleeps between attempts; tests pass one that records instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration ATTEMPT_DEADLINE = Duration.ofSeconds(2);

    private ServerWait() {
    }

    /**
     * Returns once the server at {@code target} answers.
     *
     * @param timeout total time to keep trying
     * @param names   how the caller names the settings its user may change (TLS, CA, connect timeout)
     * @return the number of attempts it took
     * @throws BadInputException when the server did not answer within {@code timeout}
     * @throws StatusRuntimeException at once when the TLS handshake failed ({@link Transport#tlsFailure})
     */
    public static int await(Channel channel, String target, Duration timeout, Consumer<String> log, Sleeper sleeper,
                            Setting.Names names) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration backoff = FIRST_BACKOFF;
        String last = "";
        for (int attempt = 1; ; attempt++) {
            long left = deadline - System.nanoTime();
            long callMs = Math.max(1, Math.min(ATTEMPT_DEADLINE.toMillis(), TimeUnit.NANOSECONDS.toMillis(left)));
            try {
                HealthGrpc.newBlockingStub(channel).withDeadlineAfter(callMs, TimeUnit.MILLISECONDS)
                        .check(HealthCheckRequest.getDefaultInstance());
                return attempt;
            } catch (StatusRuntimeException e) {
                Status.Code c = e.getStatus().getCode();
                if (Transport.tlsFailure(e) != null) {
                    throw e; // waiting cannot fix a certificate: the caller names the TLS problem at once
                }
                if (c != Status.Code.UNAVAILABLE && c != Status.Code.DEADLINE_EXCEEDED) {
                    return attempt; // the server answered (e.g. no health service): it is up
                }
                last = c.toString();
            }
            left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new BadInputException("no server answered at " + target + " within " + timeout.toSeconds()
                        + " s (" + attempt + " attempt" + (attempt == 1 ? "" : "s") + ", last " + last + "); is it running"
                        + " there, and do " + names.of(Setting.PLAINTEXT) + " / " + names.of(Setting.CA) + " match its TLS"
                        + " setting? (" + names.of(Setting.CONNECT_TIMEOUT) + " waits longer)");
            }
            Duration wait = Duration.ofNanos(Math.min(backoff.toNanos(), left));
            log.accept(String.format("waiting for %s (attempt %d, next in %.0fs)", target, attempt,
                    Math.ceil(wait.toMillis() / 1000.0)));
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new BadInputException("interrupted while waiting for " + target);
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }
}
