package org.memsfl.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Bounds what authenticated callers can hold open on the edge server, whatever they send: at most
 * {@code perDevice} calls at once per device id and {@code total} over all ids (beyond either, a call is refused
 * with {@code RESOURCE_EXHAUSTED} before the service sees it), and a client-streaming call (Train, PutAdapters)
 * that moves no message in either direction for {@code idle} before its client half-closes is closed with
 * {@code DEADLINE_EXCEEDED}, which the service sees as a cancelled stream (so it frees what the stream held). After
 * the half-close the call only waits for the server's own work, which is not the client's idleness. Runs after
 * {@link TokenInterceptor}, whose device id it counts.
 *
 * <p>Written by hand because grpc-java bounds connections (netty's {@code maxConnectionIdle},
 * {@code maxConcurrentCallsPerConnection}) but not calls per caller, and one caller can open many connections.
 */
final class CallLimits implements ServerInterceptor, AutoCloseable {

    private final int perDevice;
    private final int total;
    private final long idleNanos;
    private final Consumer<String> log;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final AtomicInteger openTotal = new AtomicInteger();
    private final Set<Watched<?, ?>> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(
            Daemons.named("memsfl-idle-streams"));

    /**
     * @param perDevice calls one device id may hold open at once, at least 1
     * @param total     calls all device ids may hold open at once, at least {@code perDevice}
     * @param idle      how long a client stream may move nothing, positive
     */
    CallLimits(int perDevice, int total, Duration idle, Consumer<String> log) {
        if (perDevice < 1 || total < perDevice) {
            throw new IllegalArgumentException("call limits need 1 <= per-device <= total, got " + perDevice + " and "
                    + total);
        }
        if (idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("the idle stream timeout must be positive, got " + idle);
        }
        this.perDevice = perDevice;
        this.total = total;
        this.idleNanos = idle.toNanos();
        this.log = log;
        long period = Math.max(50, Math.min(1000, idle.toMillis() / 4));
        watchdog.scheduleAtFixedRate(this::closeIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /** Calls open now over all device ids. */
    int openCalls() {
        return openTotal.get();
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                       ServerCallHandler<Q, A> next) {
        String id = TokenInterceptor.DEVICE_ID.get();
        String key = id == null ? "" : id;
        AtomicInteger mine = open.computeIfAbsent(key, k -> new AtomicInteger());
        if (mine.incrementAndGet() > perDevice) {
            mine.decrementAndGet();
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("device " + TokenInterceptor.printable(id)
                    + " already holds " + perDevice + " calls open; finish one first"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        if (openTotal.incrementAndGet() > total) {
            openTotal.decrementAndGet();
            mine.decrementAndGet();
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("the server holds " + total + " calls open; retry"
                    + " later"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        MethodDescriptor.MethodType type = call.getMethodDescriptor().getType();
        boolean clientStreams = type == MethodDescriptor.MethodType.CLIENT_STREAMING
                || type == MethodDescriptor.MethodType.BIDI_STREAMING;
        Watched<Q, A> w = new Watched<>(call, id, clientStreams);
        if (clientStreams) {
            streams.add(w);
        }
        ServerCall.Listener<Q> delegate;
        try {
            delegate = next.startCall(w, headers);
        } catch (RuntimeException e) {
            w.release();
            throw e;
        }
        return w.listener(delegate);
    }

    private void closeIdle() {
        long now = System.nanoTime();
        for (Watched<?, ?> w : streams) {
            if (now - w.lastActivity > idleNanos) {
                w.closeIdle();
            }
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    /**
     * One call: its outbound side serialised (the service's worker and the watchdog may both write), its activity
     * time-stamped, and its slot given back exactly once when it ends.
     */
    private final class Watched<Q, A> extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
        private final String id;
        private final boolean clientStreams;
        private volatile long lastActivity = System.nanoTime();
        private boolean closed;
        private volatile boolean closedIdle;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        Watched(ServerCall<Q, A> call, String id, boolean clientStreams) {
            super(call);
            this.id = id;
            this.clientStreams = clientStreams;
        }

        @Override
        public synchronized void sendMessage(A message) {
            if (!closed) {
                lastActivity = System.nanoTime();
                super.sendMessage(message);
            }
        }

        @Override
        public synchronized void sendHeaders(Metadata headers) {
            if (!closed) {
                super.sendHeaders(headers);
            }
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (!closed) {
                closed = true;
                super.close(status, trailers);
            }
        }

        synchronized void closeIdle() {
            if (!closed) {
                closedIdle = true;
                log.accept("closed an idle " + getMethodDescriptor().getBareMethodName() + " stream of device "
                        + TokenInterceptor.printable(id) + " (nothing moved for " + idleNanos / 1_000_000_000L + " s)");
                close(Status.DEADLINE_EXCEEDED.withDescription("the stream was idle for more than "
                        + idleNanos / 1_000_000_000L + " s"), new Metadata());
            }
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                streams.remove(this);
                openTotal.decrementAndGet();
                AtomicInteger mine = open.get(id == null ? "" : id);
                if (mine != null) {
                    mine.decrementAndGet();
                }
            }
        }

        ServerCall.Listener<Q> listener(ServerCall.Listener<Q> delegate) {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
                @Override
                public void onMessage(Q message) {
                    lastActivity = System.nanoTime();
                    super.onMessage(message);
                }

                @Override
                public void onComplete() {
                    release();
                    if (closedIdle && clientStreams) {
                        super.onCancel(); // the service frees the stream's buffers as for a cancelled stream
                    } else {
                        super.onComplete();
                    }
                }

                @Override
                public void onHalfClose() {
                    // the client has sent all it will: from here on the call waits for the server's own work (the
                    // last upload of a round waits for aggregation, evaluation and the checkpoint), not the client's
                    streams.remove(Watched.this);
                    super.onHalfClose();
                }

                @Override
                public void onCancel() {
                    release();
                    super.onCancel();
                }
            };
        }
    }
}
