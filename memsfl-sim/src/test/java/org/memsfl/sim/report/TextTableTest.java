package org.memsfl.sim.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextTableTest {

    @Test
    void summaryRowsAreAlignedAndFormatted() {
        String table = TextTable.render(ReportFixtures.input());
        List<String> lines = table.lines().toList();
        assertThat(lines).hasSize(2 + 3); // header, separator, three methods
        assertAligned(lines);
        assertThat(lines.get(0)).contains("method", "server peak MiB", "measured server MiB", "max device peak MiB",
                "round time s", "wall s", "final eval loss", "bytes up", "bytes down", "dropped devices");

        String memsfl = row(lines, "memsfl");
        // server 180 + 4 * 1.5 + 96 + 8 = 290 MiB; measured 312 MiB; largest device laptop-high
        assertThat(memsfl).contains(" 290.0 |", " 312.0 |", "laptop-high", "12.80", "2.69", "3.1010",
                "118 MiB", "94.2 MiB");
        // laptop-high under memsfl: (100 + 42) * 0.6 MiB + 1 MiB + 2 MiB
        long laptop = ReportFixtures.input().methods().get("memsfl").devicePeakBytes().get("laptop-high");
        assertThat(memsfl).contains(Fmt.mib(laptop));
        // not measured: a right-aligned dash under "measured server MiB"
        assertThat(row(lines, "sfl-lora")).contains("| " + " ".repeat("measured server MiB".length() - 1) + "- |");
        assertThat(row(lines, "fedlora")).contains("phone-low", "18.80", "3.3500");
    }

    @Test
    void numbersAreRightAlignedUnderTheirHeader() {
        List<String> lines = TextTable.render(ReportFixtures.input()).lines().toList();
        int headerEnd = lines.get(0).indexOf("server peak MiB") + "server peak MiB".length();
        for (String line : lines.subList(2, lines.size())) {
            // the cell's last digit sits right under the header's last letter
            assertThat(Character.isDigit(line.charAt(headerEnd - 1))).as(line).isTrue();
            assertThat(line.charAt(headerEnd)).isEqualTo(' ');
        }
        assertThat(lines.get(1)).contains("-: |");
    }

    @Test
    void scaleTableIsAlignedAndFormatted() {
        String table = TextTable.renderScale(ReportFixtures.input().scale());
        List<String> lines = table.lines().toList();
        assertThat(lines).hasSize(5);
        assertAligned(lines);
        assertThat(lines.get(0)).contains("method", "model", "server peak MiB", "max device peak MiB",
                "round time s", "dropped devices");
        assertThat(row(lines, "memsfl")).contains("random:gpt2-medium", "1650.0", "512.0", "95.3");
        assertThat(row(lines, "fedlora")).contains("0.0", "3050.0", "310.0", "phone-low, tablet-mid");
    }

    @Test
    void emptyAndOddInputs() {
        ReportInput empty = new ReportInput("e", Map.of(), List.of(), Map.of(), Map.of(), List.of(), "", List.of());
        List<String> lines = TextTable.render(empty).lines().toList();
        assertThat(lines).hasSize(2);
        assertAligned(lines);
        // a pipe in a name does not break the columns
        List<ReportInput.ScaleRow> rows = new ArrayList<>();
        rows.add(new ReportInput.ScaleRow("a|b", "m", 1, 2, Double.NaN, List.of()));
        List<String> odd = TextTable.renderScale(rows).lines().toList();
        assertAligned(odd);
        assertThat(odd.get(2)).contains("a/b", "n/a");
        assertThatThrownBy(() -> TextTable.render(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void formatting() {
        assertThat(Fmt.mib(0)).isEqualTo("0.0");
        assertThat(Fmt.mib(50 * 1024)).isEqualTo("0.049");
        assertThat(Fmt.mib(1536L * 1024)).isEqualTo("1.5");
        assertThat(Fmt.bytes(512)).isEqualTo("512 B");
        assertThat(Fmt.bytes(1536)).isEqualTo("1.50 KiB");
        assertThat(Fmt.bytes(3L << 30)).isEqualTo("3.00 GiB");
        assertThat(Fmt.seconds(0.01234)).isEqualTo("0.012");
        assertThat(Fmt.seconds(12.345)).isEqualTo("12.35");
        assertThat(Fmt.seconds(1234.56)).isEqualTo("1234.6");
        assertThat(Fmt.seconds(Double.NaN)).isEqualTo("n/a");
        assertThat(Fmt.value(2.0e-4)).isEqualTo("0.0002");
        assertThat(Fmt.value(3.0)).isEqualTo("3");
        assertThat(Fmt.value(List.of("a", "b"))).isEqualTo("[\"a\",\"b\"]");
    }

    private static void assertAligned(List<String> lines) {
        int len = lines.get(0).length();
        for (String l : lines) {
            assertThat(l).as("line length").hasSize(len);
        }
        // every column separator at the same offset in every line
        for (int i = 0; i < len; i++) {
            boolean pipe = lines.get(0).charAt(i) == '|';
            for (String l : lines) {
                assertThat(l.charAt(i) == '|').as("separator at %d in %s", i, l).isEqualTo(pipe);
            }
        }
    }

    private static String row(List<String> lines, String method) {
        return lines.stream().filter(l -> l.startsWith("| " + method + " ")).findFirst().orElseThrow();
    }
}
