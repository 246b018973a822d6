package org.memsfl.sim.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report in a real browser: headless Chromium loads a copy of report.html with a small checking script added,
 * at a 1280 px wide window; the script writes what it found into the DOM, and {@code --dump-dom} hands it back.
 * Checked: no script or resource error, every chart image decoded (complete, natural width > 0), nothing wider than
 * the window, the answer panel comes first and the settings last. Needs Debian's {@code chromium} (.ci/run installs
 * it; set CHROMIUM to use another binary).
 */
class ReportBrowserTest {

    private static final String CHECK = """
            <script>
            window.__errors = [];
            window.addEventListener('error', e => window.__errors.push(String(e.message || (e.target && e.target.src)
                || 'error')), true);
            window.addEventListener('load', () => {
              const imgs = Array.from(document.images);
              const broken = imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt);
              const root = document.documentElement;
              const wide = Array.from(document.body.querySelectorAll('*'))
                  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.tw'))
                  .map(e => e.tagName + (e.id ? '#' + e.id : ''));
              const h2 = Array.from(document.querySelectorAll('h2')).map(h => h.id);
              const out = {errors: window.__errors, images: imgs.length, broken: broken,
                  innerWidth: window.innerWidth, scrollWidth: root.scrollWidth, wide: wide.slice(0, 10), sections: h2,
                  csv: !!document.querySelector('a[download="rounds.csv"][href^="data:text/csv;base64,"]')};
              const pre = document.createElement('pre');
              pre.id = 'checks';
              pre.textContent = 'CHECKS' + JSON.stringify(out) + 'END';
              document.body.appendChild(pre);
            });
            </script>
            """;

    static String chromium() {
        String env = System.getenv("CHROMIUM");
        if (env != null && !env.isBlank()) {
            return env;
        }
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        throw new IllegalStateException("no headless browser found: install Debian's chromium "
                + "(apt-get install -y chromium; .ci/run does) or set CHROMIUM");
    }

    @Test
    void reportRendersWithoutErrorsImagesLoadAndNothingOverflowsAt1280(@TempDir Path dir) throws Exception {
        Path report = ReportWriter.write(dir, ReportFixtures.withQuality());
        String html = Files.readString(report, StandardCharsets.UTF_8);
        Path page = dir.resolve("check.html");
        Files.writeString(page, html.replace("<head>\n", "<head>\n" + CHECK), StandardCharsets.UTF_8);

        Process p = new ProcessBuilder(chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
                "--virtual-time-budget=10000", "--user-data-dir=" + dir.resolve("profile"), "--dump-dom",
                page.toUri().toString()).redirectError(dir.resolve("chromium.log").toFile()).start();
        byte[] dom = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        String out = new String(dom, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("CHECKS(\\{.*?\\})END", Pattern.DOTALL).matcher(out);
        assertThat(m.find()).as("the check script ran; chromium said: %s",
                Files.readString(dir.resolve("chromium.log"))).isTrue();
        JsonNode checks = new ObjectMapper().readTree(m.group(1).replace("&quot;", "\"").replace("&amp;", "&")
                .replace("&lt;", "<").replace("&gt;", ">"));

        assertThat(checks.get("errors").size()).as("page errors: %s", checks.get("errors")).isZero();
        assertThat(checks.get("images").asInt()).as("chart images").isGreaterThanOrEqualTo(8);
        assertThat(checks.get("broken").size()).as("images that did not load: %s", checks.get("broken")).isZero();
        assertThat(checks.get("innerWidth").asInt()).isEqualTo(1280);
        assertThat(checks.get("scrollWidth").asInt()).as("page width; too wide: %s", checks.get("wide"))
                .isLessThanOrEqualTo(1280);
        assertThat(checks.get("wide").size()).as("elements past the right edge: %s", checks.get("wide")).isZero();
        assertThat(checks.get("csv").asBoolean()).as("per-round CSV download link").isTrue();
        JsonNode sections = checks.get("sections");
        assertThat(sections.get(0).asText()).isEqualTo("answer");
        assertThat(sections.get(sections.size() - 1).asText()).isEqualTo("settings");
    }
}
