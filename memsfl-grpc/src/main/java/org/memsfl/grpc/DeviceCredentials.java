package org.memsfl.grpc;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.Executor;

/** Attaches a device's id and bearer token to every call (checked by {@link TokenInterceptor}). */
public final class DeviceCredentials extends CallCredentials {

    private final String deviceId;
    private final String token;

    public DeviceCredentials(String deviceId, String token) {
        this.deviceId = deviceId;
        this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        try {
            Metadata h = new Metadata();
            h.put(TokenInterceptor.DEVICE_HEADER, deviceId);
            if (token != null) {
                h.put(TokenInterceptor.AUTHORIZATION, "Bearer " + token);
            }
            applier.apply(h);
        } catch (RuntimeException e) {
            applier.fail(Status.UNAUTHENTICATED.withDescription("cannot attach credentials: " + e.getMessage()));
        }
    }
}
