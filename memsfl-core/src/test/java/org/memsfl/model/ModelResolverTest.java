package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.engine.Tensors;
import org.memsfl.tokenizer.Gpt2BpeTokenizer;
import org.memsfl.tokenizer.Llama2cTokenizer;
import org.memsfl.util.BadInputException;

/** Every spec form of {@link ModelResolver}, with downloads served by a local server only. */
class ModelResolverTest {

    /** Holds nothing: tokenizer and config resolution without allocating a large random model. */
    static final LayerRange NOTHING = new LayerRange(false, 0, 0, false);

    static ModelResolver withAssets(Path cache) {
        // a mirror nobody listens on: any attempt to download would fail loudly instead of reaching the internet
        return new ModelResolver(Assets.root(), cache,
                new AssetDownloader(java.net.URI.create("http://127.0.0.1:9/"), Duration.ofSeconds(2)));
    }

    @Test
    void randomPresetWithSeed(@TempDir Path cache) {
        ModelResolver r = withAssets(cache);
        try (LoadedModel a = r.load("random:tiny-gpt2", LayerRange.all(3), DType.F32);
             LoadedModel a0 = r.load("random:tiny-gpt2@0", LayerRange.all(3), DType.F32);
             LoadedModel b = r.load("random:tiny-gpt2@5", LayerRange.all(3), DType.F32)) {
            assertThat(a.id()).isEqualTo("random:tiny-gpt2@0");
            assertThat(a.config()).isEqualTo(ModelPresets.get("tiny-gpt2"));
            float[] wa = Tensors.toFloats(a.model().weights().get("wte.weight"));
            assertThat(Tensors.toFloats(a0.model().weights().get("wte.weight"))).containsExactly(wa);
            assertThat(Tensors.toFloats(b.model().weights().get("wte.weight"))).isNotEqualTo(wa);
            // GPT-2's tokenizer has 50,257 tokens; this preset's 64-token vocabulary cannot take its ids
            assertThat(a.tokenizer()).isNull();
            assertThatThrownBy(a::requireTokenizer).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("random:tiny-gpt2@0").hasMessageContaining("no tokenizer");
        }
    }

    @Test
    void randomTokenizers(@TempDir Path cache) {
        ModelResolver r = withAssets(cache);
        try (LoadedModel g = r.load("random:gpt2", NOTHING, DType.F32);
             LoadedModel s = r.load("random:stories260K@3", NOTHING, DType.F32);
             LoadedModel l = r.load("random:tiny-llama", NOTHING, DType.F32)) {
            assertThat(g.tokenizer()).isInstanceOf(Gpt2BpeTokenizer.class);
            assertThat(g.tokenizer().vocabSize()).isEqualTo(50257);
            assertThat(s.tokenizer()).isInstanceOf(Llama2cTokenizer.class);
            assertThat(s.tokenizer().vocabSize()).isEqualTo(512);
            assertThat(l.tokenizer()).isNull();
        }
    }

    @Test
    void badRandomSpecs(@TempDir Path cache) {
        ModelResolver r = withAssets(cache);
        assertThatThrownBy(() -> r.load("random:nope", NOTHING, DType.F32))
                .isInstanceOf(BadInputException.class).hasMessageContaining("nope").hasMessageContaining("tiny-gpt2");
        assertThatThrownBy(() -> r.config("random:tiny-gpt2@x1"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("seed 'x1' is not an integer");
    }

    @Test
    void knownNameFromAssets(@TempDir Path cache) {
        ModelResolver r = withAssets(cache);
        try (LoadedModel m = r.load("stories260K", LayerRange.deviceSegment(2), DType.F32)) {
            assertThat(m.id()).isEqualTo("stories260K");
            assertThat(m.config()).isEqualTo(Llama2cLoader.readConfig(Assets.stories260K()));
            assertThat(m.model().range()).isEqualTo(LayerRange.deviceSegment(2));
            assertThat(m.tokenizer().encode("Once upon a time")).isNotEmpty();
        }
        try (LoadedModel m = r.load("tiny-gpt2-random", LayerRange.all(1), DType.F32)) {
            assertThat(m.config().vocabSize()).isEqualTo(21);
            assertThat(m.tokenizer()).isInstanceOf(Gpt2BpeTokenizer.class);
        }
        assertThat(cache).isEmptyDirectory();
    }

    /** Not in the assets: fetched into the cache (from the local mirror), then served from the cache. */
    @Test
    void knownNameIsDownloadedIntoTheCacheOnce(@TempDir Path cache) throws IOException {
        Path assetsDir = Assets.root().resolve("models/stories260K");
        try (LocalFileServer server = new LocalFileServer()
                .serve("/stories260K/stories260K.bin", Files.readAllBytes(assetsDir.resolve("stories260K.bin")))
                .serve("/stories260K/tok512.bin", Files.readAllBytes(assetsDir.resolve("tok512.bin")))) {
            ModelResolver r = new ModelResolver(null, cache, new AssetDownloader(server.base(), Duration.ofSeconds(10)));
            try (LoadedModel m = r.load("stories260K", LayerRange.all(5), DType.F32)) {
                assertThat(m.model().source()).startsWith(cache.resolve("models/stories260K").toString());
                assertThat(m.tokenizer().vocabSize()).isEqualTo(512);
            }
            assertThat(server.paths).containsExactlyInAnyOrder("/stories260K/stories260K.bin", "/stories260K/tok512.bin");
            assertThat(cache.resolve("models/stories260K/stories260K.bin")).hasSameBinaryContentAs(
                    assetsDir.resolve("stories260K.bin"));
            assertThat(r.config("stories260K").dim()).isEqualTo(64);
            assertThat(server.requests()).isEqualTo(2);
        }
    }

    @Test
    void knownNameWithoutOriginOrCopyIsExplained(@TempDir Path cache) {
        ModelResolver r = new ModelResolver(null, cache, new AssetDownloader(null, Duration.ofSeconds(1)));
        assertThatThrownBy(() -> r.config("tiny-gpt2-random"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("tiny-gpt2-random").hasMessageContaining("no public download origin");
    }

    @Test
    void tamperedAssetsCopyIsRefused(@TempDir Path assets, @TempDir Path cache) throws IOException {
        Path dir = Files.createDirectories(assets.resolve("models/stories260K"));
        Files.copy(Assets.stories260K(), dir.resolve("stories260K.bin"));
        Files.writeString(dir.resolve("tok512.bin"), "tampered");
        ModelResolver r = new ModelResolver(assets, cache, new AssetDownloader(null, Duration.ofSeconds(1)));
        assertThatThrownBy(() -> r.config("stories260K"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.resolve("tok512.bin").toString()).hasMessageContaining("sha256");
    }

    @Test
    void paths(@TempDir Path cache, @TempDir Path work) throws IOException {
        ModelResolver r = withAssets(cache);
        // a llama2.c file, tokenizer beside it
        try (LoadedModel m = r.load(Assets.stories260K().toString(), LayerRange.all(5), DType.F32)) {
            assertThat(m.tokenizer()).isInstanceOf(Llama2cTokenizer.class);
            assertThat(m.id()).isEqualTo(Assets.stories260K().toAbsolutePath().normalize().toString());
        }
        // a directory holding one llama2.c checkpoint
        assertThat(r.config(Assets.root().resolve("models/stories260K").toString()).nLayers()).isEqualTo(5);
        // a lone checkpoint has no tokenizer: null, not an error
        Files.copy(Assets.stories260K(), work.resolve("model.bin"));
        try (LoadedModel m = r.load(work.resolve("model.bin").toString(), LayerRange.deviceSegment(1), DType.F32)) {
            assertThat(m.tokenizer()).isNull();
        }
        // a Hugging Face directory, and its config.json
        Path hf = Assets.root().resolve("models/tiny-gpt2-random");
        try (LoadedModel m = r.load(hf.toString(), LayerRange.all(1), DType.F32)) {
            assertThat(m.tokenizer().vocabSize()).isEqualTo(21);
        }
        assertThat(r.config(hf.resolve("config.json").toString())).isEqualTo(HfModelLoader.readConfig(hf));
    }

    @Test
    void unknownSpecListsWhatIsAccepted(@TempDir Path cache) {
        ModelResolver r = withAssets(cache);
        assertThatThrownBy(() -> r.load("stories999", NOTHING, DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("'stories999'").hasMessageContaining("stories260K")
                .hasMessageContaining("tiny-gpt2-random").hasMessageContaining("random:<preset>[@seed]")
                .hasMessageContaining("config.json").hasMessageContaining(".bin")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> r.config(" "))
                .isInstanceOf(BadInputException.class).hasMessageContaining("empty");
    }

    @Test
    void tokenizerLargerThanTheModelIsRefused(@TempDir Path cache, @TempDir Path dir) throws IOException {
        // a 21-token model with GPT-2's 50,257-token tokenizer: ids would index past the embedding
        Path fixture = Assets.root().resolve("models/tiny-gpt2-random");
        Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Path gpt2 = Assets.root().resolve("models/gpt2-tokenizer");
        Files.copy(gpt2.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(gpt2.resolve("merges.txt"), dir.resolve("merges.txt"));
        assertThatThrownBy(() -> withAssets(cache).load(dir.toString(), LayerRange.all(1), DType.F32))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("50257 tokens").hasMessageContaining("vocab_size is 21");
    }

    @Test
    void configWithoutWeights(@TempDir Path cache) {
        ModelResolver r = withAssets(cache);
        assertThat(r.config("random:qwen2.5-0.5b")).isEqualTo(ModelPresets.get("qwen2.5-0.5b"));
        assertThat(r.config("stories260K")).isEqualTo(Llama2cLoader.readConfig(Assets.stories260K()));
    }
}
