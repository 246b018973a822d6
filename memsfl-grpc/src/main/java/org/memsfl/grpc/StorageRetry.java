package org.memsfl.grpc;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A storage write that must succeed before the run may go on (a round's checkpoint), retried with exponential backoff
 * (1 s, 2 s, 4 s ... at most 30 s apart) on the worker thread while the server reports NOT_SERVING. Gives up after the
 * settings' {@code storageRetry}. The failure's text (with its server paths) goes to the server's log only: devices
 * are answered UNAVAILABLE meanwhile and retry.
 */
final class StorageRetry {

    /** What happens with the outcome. */
    interface Outcome {
        void written(int attempts);

        void gaveUp(String why);
    }

    private final Duration limit;
    private final Executor worker;
    private final ScheduledExecutorService timer;
    private final Consumer<Boolean> serving;
    private final Consumer<String> log;
    private volatile boolean failing;

    /** @param serving told false when a write fails, true when one succeeds after failures */
    StorageRetry(Duration limit, Executor worker, ScheduledExecutorService timer, Consumer<Boolean> serving,
                 Consumer<String> log) {
        this.limit = limit;
        this.worker = worker;
        this.timer = timer;
        this.serving = serving;
        this.log = log;
    }

    /** True while a write is failing and being retried. */
    boolean failing() {
        return failing;
    }

    /** Runs {@code write} now on the calling (worker) thread, and again after each failure until it succeeds. */
    void run(String what, Runnable write, Outcome outcome) {
        attempt(what, write, outcome, 1, System.nanoTime());
    }

    private void attempt(String what, Runnable write, Outcome outcome, int attempt, long since) {
        try {
            write.run();
        } catch (RuntimeException e) {
            long waitedNanos = System.nanoTime() - since;
            double waited = waitedNanos / 1e9;
            String why = what + " failed: " + e.getMessage();
            if (waitedNanos >= limit.toNanos()) {
                log.accept(why + "; gave up after " + attempt + " attempts in " + Math.round(waited) + " s");
                outcome.gaveUp(why + " (" + attempt + " attempts in " + Math.round(waited) + " s)");
                return;
            }
            long delayMs = Math.min(30_000L, 1000L << Math.min(attempt - 1, 5));
            if (!failing) {
                failing = true;
                serving.accept(false);
            }
            log.accept(why + "; health NOT_SERVING, attempt " + (attempt + 1) + " in " + delayMs / 1000.0 + " s");
            timer.schedule(() -> worker.execute(() -> attempt(what, write, outcome, attempt + 1, since)), delayMs,
                    TimeUnit.MILLISECONDS);
            return;
        }
        if (failing) {
            failing = false;
            serving.accept(true);
            log.accept(what + " succeeded at attempt " + attempt + "; health SERVING again");
        }
        outcome.written(attempt);
    }
}
