package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.memsfl.grpc.proto.ActivationMessage;
import org.memsfl.grpc.proto.GradientMessage;
import org.memsfl.grpc.proto.SplitFederationGrpc;

/**
 * Calls per device id and in all are capped, and a client stream that moves nothing is closed and reaches the
 * service as a cancellation (so it frees what it held); slots come back when calls end. The service here holds every
 * Train stream open and records how each ended.
 */
class CallLimitsTest {

    private static final Map<String, String> TOKENS = Map.of("d0", "token-of-d0-0123456789", "d1",
            "token-of-d1-0123456789");

    /** Keeps every Train stream open; completes {@code ended} with how the service saw it end. */
    static final class Holding extends SplitFederationGrpc.SplitFederationImplBase {
        final List<CompletableFuture<String>> ended = new CopyOnWriteArrayList<>();

        @Override
        public StreamObserver<ActivationMessage> train(StreamObserver<GradientMessage> out) {
            CompletableFuture<String> f = new CompletableFuture<>();
            ended.add(f);
            return new StreamObserver<>() {
                @Override
                public void onNext(ActivationMessage m) {
                }

                @Override
                public void onError(Throwable t) {
                    f.complete("error " + Status.fromThrowable(t).getCode());
                }

                @Override
                public void onCompleted() {
                    f.complete("completed");
                    out.onCompleted();
                }
            };
        }
    }

    /** A client end that records the status its stream ended with. */
    static final class Client implements StreamObserver<GradientMessage> {
        final CompletableFuture<Status> status = new CompletableFuture<>();

        @Override
        public void onNext(GradientMessage m) {
        }

        @Override
        public void onError(Throwable t) {
            status.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            status.complete(Status.OK);
        }
    }

    @Test
    void callsAreCappedPerDeviceAndIdleStreamsAreClosed() throws Exception {
        String name = InProcessServerBuilder.generateName();
        Holding service = new Holding();
        List<String> log = new CopyOnWriteArrayList<>();
        try (CallLimits limits = new CallLimits(3, 4, Duration.ofSeconds(3), log::add)) {
            Server server = InProcessServerBuilder.forName(name).addService(ServerInterceptors.intercept(service, limits,
                    new TokenInterceptor(DeviceTokens.of(TOKENS)))).build().start();
            ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
            try {
                List<Client> d0 = new ArrayList<>();
                List<StreamObserver<ActivationMessage>> d0Requests = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Client c = new Client();
                    d0Requests.add(stub(ch, "d0").train(c));
                    d0.add(c);
                    if (i < 3) {
                        awaitStarted(service, i + 1); // calls start asynchronously: keep their order
                    }
                }
                // the fourth stream of d0 is refused at once; the first three stay open
                assertThat(d0.get(3).status.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(d0.get(3).status.get().getDescription()).contains("'d0'").contains("3 calls");
                // d1 gets one slot: the server-wide cap of 4 is reached
                Client d1a = new Client();
                Client d1b = new Client();
                stub(ch, "d1").train(d1a);
                awaitStarted(service, 4);
                stub(ch, "d1").train(d1b);
                assertThat(d1b.status.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(d1b.status.get().getDescription()).contains("4 calls");
                // nothing moves: every open stream is closed for idleness, and the service sees each as cancelled
                for (Client c : List.of(d0.get(0), d0.get(1), d0.get(2), d1a)) {
                    assertThat(c.status.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                }
                for (CompletableFuture<String> e : service.ended) {
                    assertThat(e.get(10, TimeUnit.SECONDS)).isEqualTo("error CANCELLED");
                }
                assertThat(log).anyMatch(l -> l.contains("closed an idle Train stream of device 'd0'"));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (limits.openCalls() > 0 && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertThat(limits.openCalls()).as("every slot given back").isZero();
                // a live stream that keeps moving is not closed
                Client live = new Client();
                StreamObserver<ActivationMessage> req = stub(ch, "d0").train(live);
                for (int i = 0; i < 8; i++) {
                    req.onNext(ActivationMessage.newBuilder().setSeq(i).build());
                    Thread.sleep(500); // 4 s in all, beyond the 3 s idle limit
                }
                assertThat(live.status.isDone()).isFalse();
                req.onCompleted();
                assertThat(live.status.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
            } finally {
                ch.shutdownNow();
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Answers a Train stream only {@code delayMs} after its client half-closed, as the round's last upload does. */
    static final class SlowToAnswer extends SplitFederationGrpc.SplitFederationImplBase {
        final long delayMs;

        SlowToAnswer(long delayMs) {
            this.delayMs = delayMs;
        }

        @Override
        public StreamObserver<ActivationMessage> train(StreamObserver<GradientMessage> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(ActivationMessage m) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    CompletableFuture.runAsync(() -> {
                        try {
                            Thread.sleep(delayMs); // the server's own work: aggregation, evaluation, checkpoint
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        out.onNext(GradientMessage.newBuilder().setSeq(7).build());
                        out.onCompleted();
                    });
                }
            };
        }
    }

    @Test
    void theServersOwnWorkAfterTheClientHalfClosedIsNotIdleness() throws Exception {
        // a 1 s idle limit and a server that answers 3 s after the half-close: the answer still arrives, because
        // only a client that stops sending is idle (before, the round's last uploader was cut off as "idle" while
        // the server aggregated, and was told it had been left out of a round it took part in)
        String name = InProcessServerBuilder.generateName();
        List<String> log = new CopyOnWriteArrayList<>();
        try (CallLimits limits = new CallLimits(3, 4, Duration.ofSeconds(1), log::add)) {
            Server server = InProcessServerBuilder.forName(name).addService(ServerInterceptors.intercept(
                    new SlowToAnswer(3000), limits, new TokenInterceptor(DeviceTokens.of(TOKENS)))).build().start();
            ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
            try {
                Client c = new Client();
                StreamObserver<ActivationMessage> req = stub(ch, "d0").train(c);
                req.onNext(ActivationMessage.newBuilder().setSeq(1).build());
                req.onCompleted();
                assertThat(c.status.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
                assertThat(log).noneMatch(l -> l.contains("closed an idle"));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (limits.openCalls() > 0 && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertThat(limits.openCalls()).as("the slot is given back").isZero();
            } finally {
                ch.shutdownNow();
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitStarted(Holding service, int n) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (service.ended.size() < n && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertThat(service.ended).hasSize(n);
    }

    private static SplitFederationGrpc.SplitFederationStub stub(ManagedChannel ch, String id) {
        return SplitFederationGrpc.newStub(ch).withCallCredentials(new DeviceCredentials(id, TOKENS.get(id)));
    }
}
