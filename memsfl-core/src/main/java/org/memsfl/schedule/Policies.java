package org.memsfl.schedule;

import java.util.List;
import java.util.Locale;

/** Looks server-order policies up by the names used in configs, the CLI and reports. */
public final class Policies {

    /** The names {@link #of} accepts, in report order (naive first; exact wave order, critical path, their best). */
    public static final List<String> NAMES = List.of(Fcfs.NAME, RandomOrder.NAME, Schrage.NAME, Carlier.NAME,
            CriticalPath.NAME, BestPredicted.NAME);

    private Policies() {
    }

    /** A fresh policy for {@code name} (case-insensitive): fcfs, random, schrage, exact (Carlier), critical or best. */
    public static SchedulingPolicy of(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case Fcfs.NAME -> new Fcfs();
            case RandomOrder.NAME -> new RandomOrder();
            case Schrage.NAME -> new Schrage();
            case Carlier.NAME -> new Carlier();
            case CriticalPath.NAME -> new CriticalPath();
            case BestPredicted.NAME -> new BestPredicted();
            default -> throw new org.memsfl.util.BadInputException(
                    "unknown scheduling policy '" + name + "'; expected one of " + String.join(", ", NAMES));
        };
    }
}
