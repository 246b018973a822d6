package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.chat.ChatTemplate;
import org.memsfl.chat.TemplateChoice;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.memsfl.engine.DType;
import org.memsfl.lora.LoraConfig;
import org.memsfl.settings.RoundSettings;
import org.memsfl.split.WireFormat;
import org.memsfl.util.BadInputException;

/** A device renders examples as its server does, or stops before training with one line naming both templates. */
class TemplateSyncTest {

    /** The names a CLI would give the settings: the device's error must use them, not the library's own. */
    static final Setting.Names FLAGS = s -> "--" + s.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');

    @TempDir
    Path dir;

    @Test
    void aDeviceFollowsTheServersTemplateAndRefusesAnother() throws Exception {
        Path jinja = Files.writeString(dir.resolve("t.jinja"), "{% for m in messages %}{{ m['content'] }}{% endfor %}");
        ChatTemplate server = new TemplateChoice(jinja.toString()).resolve(null, "stories260K").orElseThrow();
        TrainingTerms a = terms(jinja.toString(), TemplateSync.sha256(server));

        assertThat(TemplateSync.resolve(a, null, FLAGS).source()).isEqualTo(server.source()); // follows the server
        assertThat(TemplateSync.resolve(a, jinja.toString(), FLAGS).source()).isEqualTo(server.source());
        assertThatThrownBy(() -> TemplateSync.resolve(a, "plain", FLAGS)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("--template plain gives this device the plain templates")
                .hasMessageContaining("chat template sha256 " + TemplateSync.sha256(server).substring(0, 12));

        TrainingTerms plain = terms("plain", "");
        assertThat(TemplateSync.resolve(plain, null, FLAGS)).isNull();
        assertThat(TemplateSync.resolve(plain, "auto", FLAGS)).as("stories260K has no chat template: auto is plain").isNull();
        assertThatThrownBy(() -> TemplateSync.resolve(plain, jinja.toString(), FLAGS)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("the server renders with the plain templates")
                .hasMessageContaining("give both the same --template");
        assertThatThrownBy(() -> TemplateSync.resolve(plain, jinja.toString(), Setting.FIELDS))
                .hasMessageContaining("give both the same 'template'");
    }

    /** What the server would send with this template choice and sha256 (the rest does not matter here). */
    private static TrainingTerms terms(String template, String sha256) {
        return new TrainingTerms(5, new LoraConfig(4, 8, 0, List.of("q", "v")), "stories260K", "stories260K", Map.of(),
                new RoundSettings(1, 1, 1e-3, 0, 0, 0), 1, 16, "natural", 1, WireFormat.FP32, 1 << 20,
                Duration.ofMinutes(1), Duration.ofMinutes(1), DType.F32, template, sha256);
    }
}
