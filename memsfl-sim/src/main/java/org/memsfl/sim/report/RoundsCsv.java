package org.memsfl.sim.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.memsfl.sim.report.ReportInput.MethodRound;

/**
 * Per-round metrics as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or line break
 * quoted): one row per method and round, with the headline task metric where that round was evaluated by generation
 * (empty otherwise). Numbers are plain locale-independent decimals, so spreadsheets and pandas read them as they are.
 */
final class RoundsCsv {

    static final String FILE = "rounds.csv";

    private RoundsCsv() {
    }

    static String render(ReportInput in) {
        String metric = in.quality().isEmpty() ? null : in.quality().values().iterator().next().metric();
        List<String> header = new ArrayList<>(List.of("method", "round", "train_loss", "eval_loss", "sim_round_time_s",
                "wall_s", "bytes_up", "bytes_down"));
        if (metric != null) {
            header.add(metric);
        }
        StringBuilder out = new StringBuilder(String.join(",", header)).append("\r\n");
        for (MethodRound r : in.rounds()) {
            List<String> row = new ArrayList<>(List.of(field(r.method()), Integer.toString(r.round()),
                    num(r.trainLoss()), num(r.evalLoss()), num(r.simRoundTimeS()), num(r.wallS()),
                    Long.toString(r.bytesUp()), Long.toString(r.bytesDown())));
            if (metric != null) {
                ReportInput.Quality q = in.quality().get(r.method());
                Double v = q == null ? null : q.byRound().get(r.round());
                row.add(v == null ? "" : num(v));
            }
            out.append(String.join(",", row)).append("\r\n");
        }
        return out.toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
    }

    static String field(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }
}
