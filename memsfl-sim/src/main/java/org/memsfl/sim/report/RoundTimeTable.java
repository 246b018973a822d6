package org.memsfl.sim.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.memsfl.sim.timing.RoundTimeComparison;

/**
 * The paper's time claim as a report table (arXiv 2506.02940 reports memsfl's round about 6% shorter than its
 * baselines where the edge server is the bottleneck): one row per fleet, memsfl's modeled round time under its
 * scheduler beside the same sequential server in FCFS order and beside SFL-V1's parallel (processor-sharing) server,
 * from the same {@link RoundTimeComparison}s that {@code scale.json} records under {@code round_time_comparison}.
 */
final class RoundTimeTable {

    static final List<String> HEADER = List.of("fleet", "model", "server busy (FCFS)", "memsfl scheduler",
            "memsfl round s", "FCFS round s", "memsfl vs FCFS", "sfl-v1 round s", "memsfl vs sfl-v1",
            "no order beats s", "memsfl without recompute s", "without recompute vs sfl-v1",
            "without recompute vs FCFS");
    private static final boolean[] NUMERIC = {false, false, true, false, true, true, false, true, false, true, true,
            false, false};

    private RoundTimeTable() {
    }

    static Tables.Table table(List<RoundTimeComparison> times) {
        List<List<String>> rows = new ArrayList<>();
        for (RoundTimeComparison t : times) {
            rows.add(List.of(t.fleet(), t.model(), String.format(Locale.ROOT, "%.1f%%", 100 * t.serverBusy()),
                    t.scheduler(), Fmt.seconds(t.memsfl()), Fmt.seconds(t.fcfs()), relative(t.shorterThanFcfs()),
                    Fmt.seconds(t.sflV1()), relative(t.shorterThanSflV1()), Fmt.seconds(t.bound()),
                    Fmt.seconds(t.memsflNoRecompute()), relative(t.noRecomputeShorterThanSflV1()),
                    relative(t.noRecomputeShorterThanFcfs())));
        }
        return new Tables.Table(HEADER, NUMERIC, rows);
    }

    /** "6.2% shorter" or "0.3% longer". */
    static String relative(double shorter) {
        return String.format(Locale.ROOT, "%.1f%% %s", 100 * Math.abs(shorter), shorter < 0 ? "longer" : "shorter");
    }
}
