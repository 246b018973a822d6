package org.memsfl.sim.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.memsfl.sim.report.ReportInput.ScaleRow;

/**
 * Plain-text, column-aligned tables for the end of a run, in Markdown pipe-table form (so they also paste into a
 * README): every line has the same length, text columns are left-aligned and numbers right-aligned.
 */
public final class TextTable {

    private TextTable() {
    }

    /** The per-method summary: the same columns as the HTML report's summary table. */
    public static String render(ReportInput in) {
        Objects.requireNonNull(in, "ReportInput must not be null");
        return format(Tables.summary(in.methods()));
    }

    /** The report's first panel: memsfl against each baseline, with ratios and one-line verdicts. */
    public static String renderAnswer(ReportInput in) {
        Objects.requireNonNull(in, "ReportInput must not be null");
        return format(AnswerPanel.table(in));
    }

    /** Task quality per method (all devices, then mean, worst and spread over devices); "" when there is none. */
    public static String renderQuality(ReportInput in) {
        Objects.requireNonNull(in, "ReportInput must not be null");
        return in.quality().isEmpty() ? "" : format(Tables.quality(in.quality()));
    }

    /** The cost-model table at a larger shape. */
    public static String renderScale(List<ScaleRow> scale) {
        Objects.requireNonNull(scale, "scale rows must not be null");
        return format(Tables.scale(scale));
    }

    static String format(Tables.Table t) {
        int cols = t.header().size();
        int[] width = new int[cols];
        for (int c = 0; c < cols; c++) {
            width[c] = Math.max(3, t.header().get(c).length());
        }
        for (List<String> row : t.rows()) {
            for (int c = 0; c < cols; c++) {
                width[c] = Math.max(width[c], row.get(c).length());
            }
        }
        List<String> lines = new ArrayList<>();
        lines.add(line(t.header(), width, t.numeric()));
        StringBuilder sep = new StringBuilder("|");
        for (int c = 0; c < cols; c++) {
            sep.append(t.numeric()[c] ? " " + "-".repeat(width[c] - 1) + ": |" : " " + "-".repeat(width[c]) + " |");
        }
        lines.add(sep.toString());
        for (List<String> row : t.rows()) {
            lines.add(line(row, width, t.numeric()));
        }
        return String.join("\n", lines) + "\n";
    }

    private static String line(List<String> cells, int[] width, boolean[] rightAlign) {
        StringBuilder sb = new StringBuilder("|");
        for (int c = 0; c < width.length; c++) {
            String cell = cells.get(c).replace('\n', ' ').replace('|', '/');
            String pad = " ".repeat(width[c] - cell.length());
            sb.append(' ').append(rightAlign[c] ? pad + cell : cell + pad).append(" |");
        }
        return sb.toString();
    }
}
