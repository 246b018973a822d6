package org.memsfl.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.chat.ChatTemplate;
import org.memsfl.chat.TemplateChoice;
import org.memsfl.grpc.proto.Assignment;
import org.memsfl.util.BadInputException;

/** A device renders examples as its server does, or stops before training with one line naming both templates. */
class TemplateSyncTest {

    @TempDir
    Path dir;

    @Test
    void aDeviceFollowsTheServersTemplateAndRefusesAnother() throws Exception {
        Path jinja = Files.writeString(dir.resolve("t.jinja"), "{% for m in messages %}{{ m['content'] }}{% endfor %}");
        ChatTemplate server = new TemplateChoice(jinja.toString()).resolve(null, "stories260K").orElseThrow();
        Assignment a = Assignment.newBuilder().setModelSpec("stories260K").setModelId("stories260K")
                .setTemplate(jinja.toString()).setTemplateSha256(TemplateSync.sha256(server)).build();

        assertThat(TemplateSync.resolve(a, null).source()).isEqualTo(server.source()); // follows the server
        assertThat(TemplateSync.resolve(a, jinja.toString()).source()).isEqualTo(server.source());
        assertThatThrownBy(() -> TemplateSync.resolve(a, "plain")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("--template plain gives this device the plain templates")
                .hasMessageContaining("chat template sha256 " + TemplateSync.sha256(server).substring(0, 12));

        Assignment plain = a.toBuilder().setTemplate("plain").setTemplateSha256("").build();
        assertThat(TemplateSync.resolve(plain, null)).isNull();
        assertThat(TemplateSync.resolve(plain, "auto")).as("stories260K has no chat template: auto is plain").isNull();
        assertThatThrownBy(() -> TemplateSync.resolve(plain, jinja.toString())).isInstanceOf(BadInputException.class)
                .hasMessageContaining("the server renders with the plain templates");
    }
}
