package org.memsfl.sim.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.memsfl.sim.report.ReportInput.GanttSlot;

/**
 * The server's schedule for one round as a Gantt chart, drawn with Java2D (XChart has no Gantt type): one row per
 * device (in order of first appearance), one rectangle per local step from its start to its end, labelled with the
 * step number, a time axis with ticks, a dashed makespan line and a colour legend.
 *
 * <p>Shapes are drawn without anti-aliasing, so each rectangle's interior is exactly {@link #deviceColor} of its
 * row; only text is anti-aliased.
 */
public final class GanttChart {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    static final int WIDTH = 1000;
    static final int TITLE_H = 44;
    static final int ROW_H = 34;
    static final int BAR_PAD = 6;
    static final int AXIS_H = 46;
    static final int LEGEND_ROW_H = 22;
    static final int RIGHT_MARGIN = 30;
    static final Color BACKGROUND = Color.WHITE;
    static final Color BAND = new Color(0xF3, 0xF4, 0xF7);
    private static final Color AXIS = new Color(0x33, 0x33, 0x33);
    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 16);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font BAR_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 11);

    /** Tableau 10: distinct, readable on white; devices beyond ten get golden-angle hues. */
    private static final Color[] PALETTE = {
        new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD),
        new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F), new Color(0xBCBD22), new Color(0x17BECF),
    };

    private GanttChart() {
    }

    /** The colour of the {@code index}-th device row. */
    public static Color deviceColor(int index) {
        if (index < PALETTE.length) {
            return PALETTE[index];
        }
        float hue = (float) ((index * 0.618033988749895) % 1.0);
        return Color.getHSBColor(hue, 0.65f, 0.80f);
    }

    /** Geometry of one rendering; the tests use it to find each device's row. */
    record Layout(List<String> devices, int width, int height, int plotLeft, int plotRight, int plotTop,
                  double axisMaxS, double tickStepS, int legendTop) {

        int rowTop(int row) {
            return plotTop + row * ROW_H;
        }

        int plotBottom() {
            return plotTop + devices.size() * ROW_H;
        }

        int barTop(int row) {
            return rowTop(row) + BAR_PAD;
        }

        int barHeight() {
            return ROW_H - 2 * BAR_PAD;
        }

        int x(double seconds) {
            return plotLeft + (int) Math.round(seconds / axisMaxS * (plotRight - plotLeft));
        }
    }

    /** Devices in order of first appearance in {@code slots}. */
    static List<String> devices(List<GanttSlot> slots) {
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (GanttSlot s : slots) {
            seen.putIfAbsent(s.device(), Boolean.TRUE);
        }
        return new ArrayList<>(seen.keySet());
    }

    static Layout layout(List<GanttSlot> slots) {
        List<String> devices = devices(slots);
        double tMax = 0;
        for (GanttSlot s : slots) {
            tMax = Math.max(tMax, s.endS());
        }
        double step = niceStep(tMax > 0 ? tMax / 8 : 0.125);
        double axisMax = Math.max(step, Math.ceil(tMax / step - 1e-9) * step);

        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        int labelW;
        int legendRows;
        try {
            FontMetrics fm = g.getFontMetrics(LABEL_FONT);
            int widest = 0;
            for (String d : devices) {
                widest = Math.max(widest, fm.stringWidth(d));
            }
            labelW = Math.min(260, Math.max(70, widest + 20));
            legendRows = legendRows(devices, fm, WIDTH - RIGHT_MARGIN - labelW);
        } finally {
            g.dispose();
        }
        int plotTop = TITLE_H;
        int plotBottom = plotTop + devices.size() * ROW_H;
        int legendTop = plotBottom + AXIS_H;
        int height = legendTop + legendRows * LEGEND_ROW_H + 12;
        return new Layout(devices, WIDTH, height, labelW, WIDTH - RIGHT_MARGIN, plotTop, axisMax, step, legendTop);
    }

    /** Renders the schedule; an empty schedule gives a small image that says so. */
    public static BufferedImage render(List<GanttSlot> slots, String policy) {
        Objects.requireNonNull(slots, "gantt slots must not be null");
        Layout l = layout(slots);
        BufferedImage img = new BufferedImage(l.width(), l.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, l.width(), l.height());

            String title = "Server schedule, one round"
                    + (policy == null || policy.isBlank() ? "" : " (policy: " + policy + ")");
            g.setFont(TITLE_FONT);
            g.setColor(AXIS);
            g.drawString(title, l.plotLeft(), 28);
            if (slots.isEmpty()) {
                g.setFont(LABEL_FONT);
                g.drawString("(no slots)", l.plotLeft(), TITLE_H + 20);
                return img;
            }

            drawRows(g, l);
            drawGridAndAxis(g, l);
            drawSlots(g, l, slots);
            drawMakespan(g, l, slots);
            drawLegend(g, l);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void drawRows(Graphics2D g, Layout l) {
        g.setFont(LABEL_FONT);
        FontMetrics fm = g.getFontMetrics();
        for (int r = 0; r < l.devices().size(); r++) {
            if (r % 2 == 1) {
                g.setColor(BAND);
                g.fillRect(l.plotLeft(), l.rowTop(r), l.plotRight() - l.plotLeft(), ROW_H);
            }
            g.setColor(AXIS);
            String name = ellipsize(l.devices().get(r), fm, l.plotLeft() - 14);
            int y = l.rowTop(r) + (ROW_H + fm.getAscent() - fm.getDescent()) / 2;
            g.drawString(name, l.plotLeft() - 8 - fm.stringWidth(name), y);
        }
    }

    private static void drawGridAndAxis(Graphics2D g, Layout l) {
        g.setFont(LABEL_FONT);
        FontMetrics fm = g.getFontMetrics();
        int bottom = l.plotBottom();
        int ticks = (int) Math.round(l.axisMaxS() / l.tickStepS());
        for (int i = 0; i <= ticks; i++) {
            double t = i * l.tickStepS();
            int x = l.x(t);
            g.setColor(GRID);
            g.drawLine(x, l.plotTop(), x, bottom);
            g.setColor(AXIS);
            g.drawLine(x, bottom, x, bottom + 5);
            String label = tickLabel(t, l.tickStepS());
            g.drawString(label, x - fm.stringWidth(label) / 2, bottom + 7 + fm.getAscent());
        }
        g.setColor(AXIS);
        g.drawLine(l.plotLeft(), bottom, l.plotRight(), bottom);
        g.drawLine(l.plotLeft(), l.plotTop(), l.plotLeft(), bottom);
        String axisTitle = "time within the round (s)";
        g.drawString(axisTitle, (l.plotLeft() + l.plotRight() - fm.stringWidth(axisTitle)) / 2,
                bottom + 7 + fm.getAscent() + fm.getHeight() + 2);
    }

    private static void drawSlots(Graphics2D g, Layout l, List<GanttSlot> slots) {
        g.setFont(BAR_FONT);
        FontMetrics fm = g.getFontMetrics();
        for (GanttSlot s : slots) {
            int row = l.devices().indexOf(s.device());
            Color c = deviceColor(row);
            int x0 = l.x(s.startS());
            int x1 = Math.max(x0 + 1, l.x(s.endS()));
            int y = l.barTop(row);
            int h = l.barHeight();
            g.setColor(c);
            g.fillRect(x0, y, x1 - x0, h);
            if (x1 - x0 >= 4) {
                g.setColor(c.darker());
                g.drawRect(x0, y, x1 - x0 - 1, h - 1);
            }
            String label = Integer.toString(s.localStep());
            int tw = fm.stringWidth(label);
            if (tw + 4 <= x1 - x0) {
                g.setColor(luminance(c) > 0.55 ? Color.BLACK : Color.WHITE);
                g.drawString(label, x0 + (x1 - x0 - tw) / 2, y + (h + fm.getAscent() - fm.getDescent()) / 2);
            }
        }
    }

    private static void drawMakespan(Graphics2D g, Layout l, List<GanttSlot> slots) {
        double end = 0;
        for (GanttSlot s : slots) {
            end = Math.max(end, s.endS());
        }
        int x = l.x(end);
        g.setColor(AXIS);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 3f}, 0f));
        g.drawLine(x, l.plotTop() - 4, x, l.plotBottom());
        g.setStroke(new BasicStroke(1f));
        g.setFont(LABEL_FONT);
        FontMetrics fm = g.getFontMetrics();
        String label = "makespan " + Fmt.seconds(end) + " s";
        int tx = Math.min(x + 4, l.width() - fm.stringWidth(label) - 4);
        g.drawString(label, Math.max(tx, l.plotLeft()), l.plotTop() - 6);
    }

    private static void drawLegend(Graphics2D g, Layout l) {
        g.setFont(LABEL_FONT);
        FontMetrics fm = g.getFontMetrics();
        int x = l.plotLeft();
        int y = l.legendTop();
        for (int i = 0; i < l.devices().size(); i++) {
            String name = l.devices().get(i);
            int w = 16 + fm.stringWidth(name) + 18;
            if (x + w > l.plotRight() && x > l.plotLeft()) {
                x = l.plotLeft();
                y += LEGEND_ROW_H;
            }
            g.setColor(deviceColor(i));
            g.fillRect(x, y + 4, 12, 12);
            g.setColor(AXIS);
            g.drawString(name, x + 16, y + 4 + 12 - fm.getDescent() + 1);
            x += w;
        }
    }

    /** Rows the legend needs; wraps exactly as {@link #drawLegend} does. */
    private static int legendRows(List<String> devices, FontMetrics fm, int avail) {
        if (devices.isEmpty()) {
            return 0;
        }
        int rows = 1;
        int x = 0;
        for (String d : devices) {
            int w = 16 + fm.stringWidth(d) + 18;
            if (x + w > avail && x > 0) {
                rows++;
                x = 0;
            }
            x += w;
        }
        return rows;
    }

    static double niceStep(double raw) {
        double exp = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / exp;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
        return nice * exp;
    }

    private static String tickLabel(double t, double step) {
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) + 1e-9));
        if (step * Math.pow(10, decimals) % 1 > 1e-6) {
            decimals++; // 2.5, 0.25, ...
        }
        return String.format(Locale.ROOT, "%." + Math.min(decimals, 6) + "f", t);
    }

    private static String ellipsize(String s, FontMetrics fm, int max) {
        if (fm.stringWidth(s) <= max) {
            return s;
        }
        String out = s;
        while (out.length() > 1 && fm.stringWidth(out + "\u2026") > max) {
            out = out.substring(0, out.length() - 1);
        }
        return out + "\u2026";
    }

    private static double luminance(Color c) {
        return (0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue()) / 255.0;
    }
}
