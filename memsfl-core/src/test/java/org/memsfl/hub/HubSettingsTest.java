package org.memsfl.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

/** The environment variables mean what they mean to huggingface_hub; the map is injected, the process env untouched. */
class HubSettingsTest {

    @TempDir
    Path home;

    @Test
    void cacheIsHfHubCacheElseHfHomeHubElseTheUserCache() {
        assertThat(HubSettings.from(Map.of(), home).cacheDir()).isEqualTo(home.resolve(".cache/huggingface/hub"));
        assertThat(HubSettings.from(Map.of("HF_HOME", "/x/hf"), home).cacheDir()).isEqualTo(Path.of("/x/hf/hub"));
        assertThat(HubSettings.from(Map.of("HF_HOME", "/x/hf", "HF_HUB_CACHE", "/y/c"), home).cacheDir())
                .isEqualTo(Path.of("/y/c"));
    }

    @Test
    void endpointDefaultsToTheHubAndLosesATrailingSlash() {
        assertThat(HubSettings.from(Map.of(), home).endpoint().toString()).isEqualTo("https://huggingface.co");
        assertThat(HubSettings.from(Map.of("HF_ENDPOINT", "http://127.0.0.1:9/"), home).endpoint().toString())
                .isEqualTo("http://127.0.0.1:9");
        assertThatThrownBy(() -> HubSettings.from(Map.of("HF_ENDPOINT", "ftp://mirror"), home))
                .isInstanceOf(BadInputException.class).hasMessageContaining("HF_ENDPOINT");
    }

    @Test
    void tokenIsHfTokenElseTheTokenFile() throws IOException {
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_from_file\n");
        assertThat(HubSettings.from(Map.of(), home).token()).isEqualTo("hf_from_file");
        assertThat(HubSettings.from(Map.of("HF_TOKEN", "hf_env"), home).token()).isEqualTo("hf_env");
        Path other = Files.writeString(home.resolve("tok"), "hf_path");
        assertThat(HubSettings.from(Map.of("HF_TOKEN_PATH", other.toString()), home).token()).isEqualTo("hf_path");
        assertThat(HubSettings.from(Map.of("HF_TOKEN", "hf_env"), home).toString()).doesNotContain("hf_env");
    }

    @Test
    void offlineTakesTheTruthyValuesHuggingFaceTakes() {
        for (String v : new String[] {"1", "ON", "yes", "True"}) {
            assertThat(HubSettings.from(Map.of("HF_HUB_OFFLINE", v), home).offline()).as(v).isTrue();
        }
        for (String v : new String[] {"0", "false", "", "no"}) {
            assertThat(HubSettings.from(Map.of("HF_HUB_OFFLINE", v), home).offline()).as(v).isFalse();
        }
    }

    @Test
    void repositoryNamesFollowTheHubRules() {
        assertThat(HubRepo.parse("Qwen/Qwen2.5-0.5B-Instruct")).isEqualTo(new HubRepo("Qwen/Qwen2.5-0.5B-Instruct", "main"));
        assertThat(HubRepo.parse("org/name@v1.0").revision()).isEqualTo("v1.0");
        assertThat(HubRepo.parse("org/name").folderName()).isEqualTo("models--org--name");
        assertThat(HubRepo.looksLikeRepo("org/name@abc")).isTrue();
        assertThat(HubRepo.looksLikeRepo("stories260K")).isFalse();
        assertThat(HubRepo.looksLikeRepo("./dir/model.bin")).isFalse();
        for (String bad : new String[] {"org/na--me", "org/-name", "org/name.", "org/na..me", "a/b/c", "/name"}) {
            assertThatThrownBy(() -> HubRepo.parse(bad)).as(bad).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("not a valid name");
        }
        assertThatThrownBy(() -> HubRepo.parse("org/name@")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("revision");
    }
}
