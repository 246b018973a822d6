package org.memsfl.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Admits a call only with a device id and a bearer token that {@link DeviceTokens} accepts; otherwise the call is
 * closed with {@code UNAUTHENTICATED} before the service sees it. The admitted device id is put in the call's
 * {@link Context} under {@link #DEVICE_ID}, where the service reads it (it never trusts an id in a message body).
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

    private final DeviceTokens tokens;

    public TokenInterceptor(DeviceTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                       ServerCallHandler<Q, A> next) {
        String id = headers.get(DEVICE_HEADER);
        String auth = headers.get(AUTHORIZATION);
        if (id == null || id.isBlank()) {
            return refuse(call, "missing header memsfl-device-id");
        }
        if (auth == null || !auth.startsWith(BEARER)) {
            return refuse(call, "missing 'authorization: Bearer <token>' header");
        }
        if (!tokens.accepts(id, auth.substring(BEARER.length()))) {
            return refuse(call, "unknown device id or wrong token");
        }
        Context ctx = Context.current().withValue(DEVICE_ID, id);
        return Contexts.interceptCall(ctx, call, headers, next);
    }

    private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, String why) {
        call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
