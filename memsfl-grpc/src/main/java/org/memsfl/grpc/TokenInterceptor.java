package org.memsfl.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Admits a call only with a device id and a bearer token that {@link DeviceTokens} accepts; otherwise the call is
 * closed with {@code UNAUTHENTICATED} before the service sees it. The admitted device id is put in the call's
 * {@link Context} under {@link #DEVICE_ID}, where the service reads it (it never trusts an id in a message body).
 *
 * <p>Refusals are logged with the peer's address and the claimed id (sanitised), at most one line per
 * {@link #LOG_INTERVAL_NANOS}; the next line says how many were left out, so a flood cannot fill the log.
 */
public final class TokenInterceptor implements ServerInterceptor {

    /** Header naming the calling device. */
    public static final Metadata.Key<String> DEVICE_HEADER =
            Metadata.Key.of("memsfl-device-id", Metadata.ASCII_STRING_MARSHALLER);
    /** {@code authorization: Bearer <token>}. */
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** The authenticated device id of the current call. */
    public static final Context.Key<String> DEVICE_ID = Context.key("memsfl-device-id");

    private static final String BEARER = "Bearer ";

    /** Ten seconds between two logged refusals. */
    static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final DeviceTokens tokens;
    private final Consumer<String> log;
    private final AtomicLong nextLog = new AtomicLong(System.nanoTime() - 1);
    private final AtomicLong unlogged = new AtomicLong();

    public TokenInterceptor(DeviceTokens tokens) {
        this(tokens, line -> { });
    }

    /** @param log receives one line per refusal, rate-limited */
    public TokenInterceptor(DeviceTokens tokens, Consumer<String> log) {
        this.tokens = tokens;
        this.log = log;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                       ServerCallHandler<Q, A> next) {
        String id = headers.get(DEVICE_HEADER);
        String auth = headers.get(AUTHORIZATION);
        if (id == null || id.isBlank()) {
            return refuse(call, id, "missing header memsfl-device-id");
        }
        if (auth == null || !auth.startsWith(BEARER)) {
            return refuse(call, id, "missing 'authorization: Bearer <token>' header");
        }
        if (!tokens.accepts(id, auth.substring(BEARER.length()))) {
            return refuse(call, id, "unknown device id or wrong token");
        }
        Context ctx = Context.current().withValue(DEVICE_ID, id);
        return Contexts.interceptCall(ctx, call, headers, next);
    }

    private <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, String id, String why) {
        logRefusal(call, id, why);
        call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    private void logRefusal(ServerCall<?, ?> call, String id, String why) {
        long now = System.nanoTime();
        long next = nextLog.get();
        if (now - next < 0 || !nextLog.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
            unlogged.incrementAndGet();
            return;
        }
        long skipped = unlogged.getAndSet(0);
        Object peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        log.accept("refused an unauthenticated call to " + call.getMethodDescriptor().getBareMethodName() + " from "
                + (peer == null ? "an unknown peer" : peer) + " claiming device " + printable(id) + ": " + why
                + (skipped > 0 ? " (" + skipped + " more refusals since the last line not shown)" : ""));
    }

    /** The claimed id quoted, cut to 64 characters, anything outside printable ASCII as '?'. */
    static String printable(String id) {
        if (id == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < Math.min(id.length(), 64); i++) {
            char c = id.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.append(id.length() > 64 ? "...'" : "'").toString();
    }
}
