package org.memsfl.sim.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.memsfl.sim.report.ReportInput.GanttSlot;
import org.memsfl.sim.report.ReportInput.MethodRound;
import org.memsfl.sim.report.ReportInput.MethodSummary;
import org.memsfl.sim.report.ReportInput.ScaleRow;

class ReportWriterTest {

    private static final Pattern DATA_URI = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

    @TempDir
    Path dir;

    @Test
    void writesOneSelfContainedHtmlWithChartsBesideIt() throws IOException {
        ReportInput in = ReportFixtures.input();
        Path report = ReportWriter.write(dir, in);

        assertThat(report).isEqualTo(dir.resolve("report.html")).exists();
        String html = Files.readString(report);
        assertThat(html.startsWith("<!DOCTYPE html>")).isTrue();
        assertContains(html, "</html>");
        assertContains(html, ReportFixtures.METHODS.toArray(new String[0]));
        // the title is escaped, not injected
        assertContains(html, "MemSFL demo run: &lt;gpt2-tiny&gt; &amp; friends");
        assertThat(html.contains("<gpt2-tiny>")).isFalse();
        // self-contained: no external resources
        for (String external : List.of("src=\"http", "<link", "<script src", "url(")) {
            assertThat(html.contains(external)).as("report refers to %s", external).isFalse();
        }
        int images = count(html, "data:image/png;base64,");
        assertThat(images).isGreaterThanOrEqualTo(5);

        // settings, summary and scale tables
        assertContains(html, "random:gpt2-tiny", "local steps", "schrage", "{&quot;rank&quot;:8}", "0.0002");
        assertContains(html, "290.0", "312.0", "12.80", "3.1010", "118 MiB", "94.2 MiB");
        assertContains(html, "random:gpt2-medium", "1650.0", "95.3", "phone-low, tablet-mid");
        assertContains(html, "vs best", "exact");

        // every embedded chart is also a file in charts/, byte for byte
        List<Path> pngs;
        try (Stream<Path> s = Files.list(dir.resolve("charts"))) {
            pngs = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        assertThat(pngs).hasSize(images);
        assertThat(pngs.stream().map(p -> p.getFileName().toString())).contains("eval_loss.png",
                "train_loss.png", "server_memory.png", "device_memory.png", "device_memory_memsfl.png",
                "round_time.png", "round_time_by_policy.png", "round_time_by_method_and_policy.png", "gantt.png");
        Set<String> embedded = new HashSet<>(embeddedBase64(html));
        for (Path p : pngs) {
            assertThat(embedded).as("embedded copy of %s", p.getFileName())
                    .contains(Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
        }
        // atomic writes leave no temporary files behind
        try (Stream<Path> s = Files.walk(dir)) {
            assertThat(s.map(Path::toString)).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void everyEmbeddedImageDecodesToANonTrivialPicture() throws IOException {
        String html = Files.readString(ReportWriter.write(dir, ReportFixtures.input()));
        List<String> images = embeddedBase64(html);
        assertThat(images).hasSizeGreaterThanOrEqualTo(5);
        for (String b64 : images) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64)));
            assertThat(img).isNotNull();
            assertThat(img.getWidth()).isGreaterThan(100);
            assertThat(img.getHeight()).isGreaterThan(100);
            assertThat(distinctColors(img)).as("colours in a chart").isGreaterThan(5);
        }
        try (Stream<Path> s = Files.list(dir.resolve("charts"))) {
            for (Path p : s.toList()) {
                BufferedImage img = ImageIO.read(p.toFile());
                assertThat(img).as(p.toString()).isNotNull();
                assertThat(img.getWidth()).isGreaterThan(100);
            }
        }
    }

    @Test
    void ganttDrawsEachDevicesStepsInItsOwnRow() throws IOException {
        ReportInput in = ReportFixtures.input();
        ReportWriter.write(dir, in);
        BufferedImage img = ImageIO.read(dir.resolve("charts/gantt.png").toFile());
        GanttChart.Layout l = GanttChart.layout(in.gantt());
        assertThat(img.getWidth()).isEqualTo(l.width());
        assertThat(img.getHeight()).isEqualTo(l.height());
        assertThat(l.devices()).containsExactly("laptop-high", "tablet-mid", "phone-low");

        for (int row = 0; row < l.devices().size(); row++) {
            String device = l.devices().get(row);
            int own = GanttChart.deviceColor(row).getRGB();
            long expectedArea = 0;
            for (GanttSlot s : in.gantt()) {
                if (s.device().equals(device)) {
                    expectedArea += (long) (l.x(s.endS()) - l.x(s.startS())) * l.barHeight();
                }
            }
            int ownPixels = 0;
            int foreignPixels = 0;
            for (int y = l.rowTop(row); y < l.rowTop(row) + GanttChart.ROW_H; y++) {
                for (int x = l.plotLeft(); x < l.plotRight(); x++) {
                    int rgb = img.getRGB(x, y);
                    if (rgb == own) {
                        ownPixels++;
                    }
                    for (int other = 0; other < l.devices().size(); other++) {
                        if (other != row && rgb == GanttChart.deviceColor(other).getRGB()) {
                            foreignPixels++;
                        }
                    }
                }
            }
            assertThat(expectedArea).isGreaterThan(0);
            assertThat(ownPixels).as("pixels of %s's colour in its row", device)
                    .isGreaterThan((int) (expectedArea / 2));
            assertThat(foreignPixels).as("other devices' colours in %s's row", device).isZero();

            // between two of its slots (another device is being served) the row shows no box of its colour
            GanttSlot first = in.gantt().stream().filter(s -> s.device().equals(device)).findFirst().orElseThrow();
            GanttSlot next = in.gantt().stream().filter(s -> s.device().equals(device))
                    .filter(s -> s.startS() > first.endS()).findFirst().orElseThrow();
            int gapX = (l.x(first.endS()) + l.x(next.startS())) / 2;
            int midY = l.barTop(row) + l.barHeight() / 2;
            assertThat(img.getRGB(gapX, midY)).as("gap in %s's row", device).isNotEqualTo(own);
            // and the middle of a slot is its colour (unless the step label sits exactly there)
            int slotX = l.x(first.startS()) + 3;
            assertThat(img.getRGB(slotX, midY)).isEqualTo(own);
        }
    }

    @Test
    void ganttPixelCheckWouldFailOnABlankImage() {
        // guard for the pixel test above: an image with no rectangles has no device colour in any row
        List<GanttSlot> slots = ReportFixtures.input().gantt();
        GanttChart.Layout l = GanttChart.layout(slots);
        BufferedImage blank = new BufferedImage(l.width(), l.height(), BufferedImage.TYPE_INT_RGB);
        int own = GanttChart.deviceColor(0).getRGB();
        int hits = 0;
        for (int y = l.rowTop(0); y < l.rowTop(0) + GanttChart.ROW_H; y++) {
            for (int x = l.plotLeft(); x < l.plotRight(); x++) {
                hits += blank.getRGB(x, y) == own ? 1 : 0;
            }
        }
        assertThat(hits).isZero();
        // while the real rendering has them
        BufferedImage drawn = GanttChart.render(slots, "fcfs");
        assertThat(drawn.getRGB(l.x(slots.get(0).startS()) + 2, l.barTop(0) + 2)).isEqualTo(own);
    }

    @Test
    void stackedMemoryChartsUseTheCategoriesAndSkipTotal() {
        ReportInput in = ReportFixtures.input();
        List<String> cats = Charts.categories(in.methods());
        assertThat(cats).containsExactly("frozen_weights", "lora_params", "lora_grads", "optimizer_state",
                "activations", "buffers");
        CategoryChart server = Charts.serverMemory(in.methods(), cats);
        assertThat(server.getStyler().isStacked()).isTrue();
        assertThat(server.getYAxisTitle()).isEqualTo("MiB");
        // fedlora's server has no frozen weights and no activations: those series still exist for the others
        assertThat(server.getSeriesMap().keySet()).containsExactlyElementsOf(cats);
        CategoryChart device = Charts.maxDeviceMemory(in.methods(), cats);
        assertThat(device.getStyler().isStacked()).isTrue();
        assertThat(new ArrayList<Object>(device.getSeriesMap().get("frozen_weights").getXData()))
                .containsExactly("memsfl (laptop-high)", "sfl-lora (laptop-high)", "fedlora (laptop-high)");
        assertThat(new ArrayList<Object>(Charts.perDeviceMemory("memsfl", in.methods().get("memsfl"), cats)
                .getSeriesMap().get("buffers").getXData())).containsExactly("phone-low", "tablet-mid", "laptop-high");
    }

    @Test
    void scaleRowsWithABreakdownGetTheirOwnStackedChart() {
        List<String> cats = List.of("frozen_weights", "activations");
        List<ScaleRow> rows = List.of(
                new ScaleRow("memsfl", "random:gpt2-medium", 1_700L * ReportFixtures.MIB, 0, 1, List.of(),
                        Map.of("frozen_weights", 1_400L * ReportFixtures.MIB, "activations", 300L * ReportFixtures.MIB)),
                new ScaleRow("sfl-v1", "random:gpt2-medium", 6_400L * ReportFixtures.MIB, 0, 1, List.of(),
                        Map.of("frozen_weights", 3_300L * ReportFixtures.MIB, "activations", 3_100L * ReportFixtures.MIB)),
                new ScaleRow("bare", "random:gpt2-medium", 5L, 0, 1, List.of()));
        CategoryChart chart = Charts.scaleServerMemory(rows, cats);
        assertThat(chart.getStyler().isStacked()).isTrue();
        assertThat(chart.getTitle()).contains("random:gpt2-medium");
        // rows without a breakdown are left out; the others stack their categories in MiB
        assertThat(new ArrayList<Object>(chart.getSeriesMap().get("activations").getXData()))
                .containsExactly("memsfl", "sfl-v1");
        assertThat(new ArrayList<Number>(chart.getSeriesMap().get("activations").getYData()))
                .containsExactly((Number) 300.0, (Number) 3100.0);
        assertThat(Charts.scaleServerMemory(List.of(rows.get(2)), cats)).isNull();
    }

    @Test
    void aPeakWithoutBreakdownIsShownAsUnattributed() {
        MethodSummary bare = new MethodSummary(300 * ReportFixtures.MIB, Map.of("d0", 50 * ReportFixtures.MIB), 1.0,
                1.0, Double.NaN, 0, 0, Map.of(), Map.of(), null, List.of());
        CategoryChart chart = Charts.serverMemory(Map.of("bare", bare), Charts.categories(Map.of("bare", bare)));
        assertThat(chart.getSeriesMap().keySet()).containsExactly(Charts.UNATTRIBUTED_KEY);
        assertThat(new ArrayList<Number>(chart.getSeriesMap().get(Charts.UNATTRIBUTED_KEY).getYData()))
                .containsExactly((Number) 300.0);
    }

    @Test
    void emptyInputStillWritesAReportWithNotes() throws IOException {
        ReportInput in = new ReportInput("empty", Map.of(), List.of(), Map.of(), Map.of(), List.of(), null,
                List.of());
        String html = Files.readString(ReportWriter.write(dir, in));
        assertContains(html, "<h1>empty</h1>", "no data", "no methods", "no scale rows");
        assertThat(count(html, "data:image/png;base64,")).isZero();
    }

    @Test
    void nanLossesAndMissingPolicyPairsAreTolerated() throws IOException {
        ReportInput base = ReportFixtures.input();
        List<MethodRound> rounds = new ArrayList<>(base.rounds());
        rounds.add(new MethodRound("late", 1, Double.NaN, Double.NaN, 1, 1, 0, 0));
        rounds.add(new MethodRound("late", 2, 5.0, Double.NaN, 1, 1, 0, 0));
        ReportInput in = new ReportInput(base.title(), base.settings(), rounds, base.methods(),
                base.roundTimeByPolicy(), Map.of("memsfl", Map.of("fcfs", 1.0), "other", Map.of("exact", 2.0)),
                base.gantt(), base.ganttPolicy(), base.scale());
        String html = Files.readString(ReportWriter.write(dir, in));
        assertContains(html, "n/a");
        assertThat(count(html, "data:image/png;base64,")).isGreaterThanOrEqualTo(5);
    }

    @Test
    void rewritingReplacesTheReport() throws IOException {
        ReportWriter.write(dir, ReportFixtures.input());
        ReportInput base = ReportFixtures.input();
        ReportInput second = new ReportInput("second run", base.settings(), base.rounds(), base.methods(),
                base.roundTimeByPolicy(), base.gantt(), base.ganttPolicy(), base.scale());
        String html = Files.readString(ReportWriter.write(dir, second));
        assertContains(html, "<h1>second run</h1>");
        assertThat(html.contains("demo run")).isFalse();
    }

    @Test
    void invalidInputIsRejectedClearly() {
        ReportInput ok = ReportFixtures.input();
        assertThatThrownBy(() -> new ReportInput(null, ok.settings(), ok.rounds(), ok.methods(),
                ok.roundTimeByPolicy(), ok.gantt(), ok.ganttPolicy(), ok.scale()))
                .isInstanceOf(NullPointerException.class).hasMessage("ReportInput.title must not be null");
        assertThatThrownBy(() -> new ReportInput("t", ok.settings(), null, ok.methods(), ok.roundTimeByPolicy(),
                ok.gantt(), ok.ganttPolicy(), ok.scale()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("ReportInput.rounds");
        assertThatThrownBy(() -> new GanttSlot("d", 0, 2.0, 1.0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("startS <= endS");
        assertThatThrownBy(() -> new MethodRound("m", 1, 1, 1, 1, 1, -5, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bytesUp");
        assertThatThrownBy(() -> new ScaleRow("m", "x", 1, 1, 1, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("dropped");
        assertThatThrownBy(() -> ReportWriter.write(dir, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void inputIsCopiedAndUnmodifiable() {
        List<ScaleRow> rows = new ArrayList<>(ReportFixtures.input().scale());
        ReportInput base = ReportFixtures.input();
        ReportInput in = new ReportInput("t", base.settings(), base.rounds(), base.methods(),
                base.roundTimeByPolicy(), base.gantt(), "", rows);
        rows.clear();
        assertThat(in.scale()).hasSize(3);
        assertThatThrownBy(() -> in.scale().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(in.methods().keySet()).containsExactly("memsfl", "sfl-lora", "fedlora");
    }

    /** Like AssertJ's contains, without printing the whole (megabyte) report on failure. */
    private static void assertContains(String html, String... needles) {
        for (String n : needles) {
            assertThat(html.contains(n)).as("report.html contains \"%s\"", n).isTrue();
        }
    }

    private static List<String> embeddedBase64(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = DATA_URI.matcher(html);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static int distinctColors(BufferedImage img) {
        Set<Integer> colors = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                colors.add(img.getRGB(x, y));
                if (colors.size() > 50) {
                    return colors.size();
                }
            }
        }
        return colors.size();
    }
}
