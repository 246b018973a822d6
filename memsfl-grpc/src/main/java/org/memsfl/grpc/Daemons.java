package org.memsfl.grpc;

import java.util.concurrent.ThreadFactory;

/** Threads of the edge server that must never keep the JVM alive on their own (worker, timers, watchdogs). */
final class Daemons {

    private Daemons() {
    }

    /** A factory of daemon threads called {@code name}. */
    static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
