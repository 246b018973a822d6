package org.memsfl.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.memsfl.util.ProcessMemory;

/** A daemon thread that reads VmRSS every interval and keeps the overall and the current phase's maximum. */
final class RssSampler implements AutoCloseable {

    private final AtomicLong max = new AtomicLong(-1);
    private final AtomicLong phaseMax = new AtomicLong(-1);
    private final AtomicLong samples = new AtomicLong();
    private final long intervalNanos;
    private volatile boolean running = true;
    private Thread thread;

    private RssSampler(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    static RssSampler start(long intervalNanos) {
        RssSampler s = new RssSampler(intervalNanos);
        s.thread = new Thread(s::loop, "rss-sampler");
        s.thread.setDaemon(true);
        s.thread.start();
        return s;
    }

    private void loop() {
        while (running) {
            record(ProcessMemory.rssBytes());
            LockSupport.parkNanos(intervalNanos);
        }
    }

    private void record(long rss) {
        if (rss < 0) {
            return;
        }
        max.accumulateAndGet(rss, Math::max);
        phaseMax.accumulateAndGet(rss, Math::max);
        samples.incrementAndGet();
    }

    /** The largest reading since the last call (or the start), including one taken now; starts a new phase. */
    long takePhaseMax() {
        record(ProcessMemory.rssBytes());
        return phaseMax.getAndSet(-1);
    }

    long max() {
        return max.get();
    }

    long samples() {
        return samples.get();
    }

    void stop() {
        running = false;
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
