package org.memsfl.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * Gives a device on an in-process channel what it would see over a network when a stream opens while the server is
 * terminating: UNAVAILABLE.
 *
 * <p>The in-process transport creates the server's side of a new stream on the client's thread. If the server has
 * just terminated (a test "crashing" it with devices still running), grpc-java's {@code ServerImpl} has already
 * returned its executor and its {@code SerializingExecutor} throws {@code NullPointerException: 'executor' must not
 * be null} into the client's {@code ClientCall.start}. Over Netty that server-side work runs in the server process,
 * and the client sees the connection close. Seen once in {@code ResumeTest}; a test-only adapter, not main code.
 */
final class InProcessShutdownRace implements ClientInterceptor {

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            private boolean failed;

            @Override
            public void start(Listener<R> listener, Metadata headers) {
                try {
                    super.start(listener, headers);
                } catch (RuntimeException e) {
                    failed = true;
                    listener.onClose(Status.UNAVAILABLE.withDescription("server terminated while the stream opened")
                            .withCause(e), new Metadata());
                }
            }

            @Override
            public void request(int n) {
                if (!failed) {
                    super.request(n);
                }
            }

            @Override
            public void sendMessage(Q message) {
                if (!failed) {
                    super.sendMessage(message);
                }
            }

            @Override
            public void halfClose() {
                if (!failed) {
                    super.halfClose();
                }
            }

            @Override
            public void cancel(String message, Throwable cause) {
                if (!failed) {
                    super.cancel(message, cause);
                }
            }
        };
    }
}
