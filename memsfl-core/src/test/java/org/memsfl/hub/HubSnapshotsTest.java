package org.memsfl.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.engine.DType;
import org.memsfl.model.AssetDownloader;
import org.memsfl.model.Assets;
import org.memsfl.model.LayerRange;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.util.BadInputException;

/**
 * The Hub client and cache against {@link FakeHub} on loopback: the layout written equals the Hugging Face layout file
 * for file; offline runs, hand-placed caches, resume, corruption, gated, unknown repo and revision, sharded models.
 * The model is the real tiny-gpt2-random directory from the shared assets, so a downloaded snapshot also loads.
 */
class HubSnapshotsTest {

    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String REPO = "memsfl-test/tiny-gpt2";

    @TempDir
    Path tmp;
    FakeHub hub;
    Map<String, byte[]> files;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        files = new LinkedHashMap<>();
        Path dir = Assets.path("models/tiny-gpt2-random");
        for (String f : new String[] {"config.json", "model.safetensors", "vocab.json", "merges.txt",
                "tokenizer_config.json"}) {
            files.put(f, Files.readAllBytes(dir.resolve(f)));
        }
        // files a model does not need, and pickled weights that must never be fetched
        files.put("README.md", "# tiny\n".getBytes(StandardCharsets.UTF_8));
        files.put("pytorch_model.bin", new byte[] {1, 2, 3});
        hub.put(REPO, "main", COMMIT, files);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubSnapshots snapshots(Map<String, String> extraEnv) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint().toString());
        env.put("HF_HUB_CACHE", tmp.resolve("hub").toString());
        env.putAll(extraEnv);
        return new HubSnapshots(HubSettings.from(env, tmp.resolve("home")), DownloadProgress.NONE, Duration.ofSeconds(10));
    }

    HubSnapshots snapshots() {
        return snapshots(Map.of());
    }

    /** Every entry under the repository folder: regular files with their content's sha256, links with their target. */
    static Map<String, String> tree(Path repoDir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(repoDir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = repoDir.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    out.put(rel, "-> " + Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p)) {
                    out.put(rel, FakeHub.sha256(Files.readAllBytes(p)));
                }
            }
        }
        return out;
    }

    @Test
    void firstDownloadIntoEmptyCacheWritesTheHuggingFaceLayoutFileForFile() throws IOException {
        HubSnapshots.Snapshot snap = snapshots().resolve(HubRepo.parse(REPO));

        assertThat(snap.commit()).isEqualTo(COMMIT);
        assertThat(snap.id()).isEqualTo(REPO + "@" + COMMIT);
        Path repoDir = tmp.resolve("hub/models--memsfl-test--tiny-gpt2");
        assertThat(snap.dir()).isEqualTo(repoDir.resolve("snapshots/" + COMMIT));
        // expected, written from the Hub docs' "Hub Local Cache": blobs named by git sha1 (small files) or sha256
        // (LFS), snapshot entries are relative symlinks into ../../blobs, refs/main holds the commit
        Map<String, String> expected = new TreeMap<>();
        expected.put("refs/main", FakeHub.sha256(COMMIT.getBytes(StandardCharsets.US_ASCII)));
        for (String f : new String[] {"config.json", "model.safetensors", "vocab.json", "merges.txt",
                "tokenizer_config.json"}) {
            byte[] b = files.get(f);
            String etag = f.endsWith(".safetensors") ? FakeHub.sha256(b) : FakeHub.gitSha1(b);
            expected.put("blobs/" + etag, FakeHub.sha256(b));
            expected.put("snapshots/" + COMMIT + "/" + f, "-> ../../blobs/" + etag);
        }
        assertThat(tree(repoDir)).isEqualTo(expected);
        assertThat(Files.isDirectory(tmp.resolve("hub/.locks/models--memsfl-test--tiny-gpt2"))).isTrue();
        assertThat(hub.log).noneMatch(l -> l.contains("pytorch_model.bin") || l.contains("README.md"));

        // the snapshot is a model directory the loader takes as is
        ModelResolver resolver = new ModelResolver(null, tmp.resolve("memsfl-cache"),
                new AssetDownloader(null, Duration.ofSeconds(5)), snapshots());
        try (LoadedModel m = resolver.load(REPO, LayerRange.all(1), DType.F32)) {
            assertThat(m.id()).isEqualTo(REPO + "@" + COMMIT);
            assertThat(m.tokenizer()).isNotNull();
            assertThat(m.config().nLayers()).isEqualTo(1);
        }
    }

    @Test
    void secondRunWithHfHubOfflineUsesTheCacheAndSendsNoRequest() {
        Path first = snapshots().resolve(HubRepo.parse(REPO)).dir();
        int before = hub.log.size();
        hub.close();

        HubSnapshots.Snapshot again = snapshots(Map.of("HF_HUB_OFFLINE", "1")).resolve(HubRepo.parse(REPO));

        assertThat(again.dir()).isEqualTo(first);
        assertThat(again.commit()).isEqualTo(COMMIT);
        assertThat(hub.log).hasSize(before);
    }

    @Test
    void offlineWithAMissingFileNamesThatFile() throws IOException {
        Path dir = snapshots().resolve(HubRepo.parse(REPO)).dir();
        Files.delete(dir.resolve("model.safetensors"));

        assertThatThrownBy(() -> snapshots(Map.of("HF_HUB_OFFLINE", "true")).resolve(HubRepo.parse(REPO)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("HF_HUB_OFFLINE").hasMessageContaining("model.safetensors")
                .hasMessageContaining(COMMIT);
        assertThatThrownBy(() -> snapshots(Map.of("HF_HUB_OFFLINE", "1")).resolve(HubRepo.parse("other/model")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("other/model@main")
                .hasMessageContaining("not in the Hugging Face cache");
    }

    @Test
    void aModelPlacedInTheCacheByHandIsFoundWithoutTheNetwork() throws IOException {
        // laid out by hand the way huggingface_hub leaves it, not through HubCache
        Path repoDir = tmp.resolve("hub/models--someone--hand-placed");
        String commit = "fedcba9876543210fedcba9876543210fedcba98";
        Files.createDirectories(repoDir.resolve("refs"));
        Files.writeString(repoDir.resolve("refs/main"), commit);
        Path snap = Files.createDirectories(repoDir.resolve("snapshots/" + commit));
        Files.createDirectories(repoDir.resolve("blobs"));
        for (String f : new String[] {"config.json", "model.safetensors", "vocab.json", "merges.txt"}) {
            byte[] b = files.get(f);
            String etag = f.endsWith(".safetensors") ? FakeHub.sha256(b) : FakeHub.gitSha1(b);
            Files.write(repoDir.resolve("blobs/" + etag), b);
            Files.createSymbolicLink(snap.resolve(f), Path.of("../../blobs/" + etag));
        }
        hub.close(); // nothing listens at HF_ENDPOINT any more

        assertThat(snapshots(Map.of("HF_HUB_OFFLINE", "1")).resolve(HubRepo.parse("someone/hand-placed")).dir())
                .isEqualTo(snap);
        // online but unreachable: falls back to the complete cached snapshot, as huggingface_hub does
        assertThat(snapshots().resolve(HubRepo.parse("someone/hand-placed")).dir()).isEqualTo(snap);
        ModelResolver resolver = new ModelResolver(null, tmp.resolve("memsfl-cache"),
                new AssetDownloader(null, Duration.ofSeconds(5)), snapshots(Map.of("HF_HUB_OFFLINE", "1")));
        assertThat(resolver.config("someone/hand-placed").nLayers()).isEqualTo(1);
    }

    @Test
    void resumesWithARangeRequestAfterACutConnection() throws IOException {
        byte[] weights = files.get("model.safetensors");
        hub.cutOnce(weights, 100);

        Path dir = snapshots().resolve(HubRepo.parse(REPO)).dir();

        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(weights);
        String sha = FakeHub.sha256(weights);
        assertThat(hub.log).contains("GET /cdn/" + sha, "GET /cdn/" + sha + " bytes=100-");
        assertThat(tree(tmp.resolve("hub/models--memsfl-test--tiny-gpt2")).keySet()).noneMatch(k -> k.endsWith(".incomplete"));
    }

    @Test
    void aCorruptDownloadIsRefusedAndNothingIsKept() throws IOException {
        byte[] weights = files.get("model.safetensors");
        hub.corrupt(weights);

        assertThatThrownBy(() -> snapshots().resolve(HubRepo.parse(REPO)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("corrupt")
                .hasMessageContaining(FakeHub.sha256(weights)).hasMessageContaining("nothing was kept");
        Path repoDir = tmp.resolve("hub/models--memsfl-test--tiny-gpt2");
        assertThat(tree(repoDir).keySet()).noneMatch(k -> k.contains(FakeHub.sha256(weights))
                || k.endsWith("model.safetensors") || k.startsWith("refs/"));
    }

    @Test
    void aGatedModelSaysToAcceptTheLicenseAndSetHfToken() throws IOException {
        hub.repos.get(REPO).gated = true;

        assertThatThrownBy(() -> snapshots().resolve(HubRepo.parse(REPO)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("gated").hasMessageContaining("accept its license")
                .hasMessageContaining(hub.endpoint() + "/" + REPO).hasMessageContaining("HF_TOKEN");

        // the token file `hf auth login` writes under HF_HOME is sent as a bearer token
        Path hfHome = Files.createDirectories(tmp.resolve("hf-home"));
        Files.writeString(hfHome.resolve("token"), "hf_secret\n");
        hub.repos.get(REPO).gated = false;
        snapshots(Map.of("HF_HOME", hfHome.toString())).resolve(HubRepo.parse(REPO));
        assertThat(hub.log).anyMatch(l -> l.startsWith("HEAD /" + REPO + "/resolve/") && l.endsWith("Bearer hf_secret"));
        // never to the content host of a redirect? here the content host is the endpoint itself, so no claim
    }

    @Test
    void anUnknownRepositoryAndAnUnknownRevisionAreNamed() {
        assertThatThrownBy(() -> snapshots().resolve(HubRepo.parse("nobody/nothing")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("nobody/nothing").hasMessageContaining("not found").hasMessageContaining("404");
        assertThatThrownBy(() -> snapshots().resolve(HubRepo.parse(REPO + "@no-such-branch")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(REPO).hasMessageContaining("no revision 'no-such-branch'");
    }

    @Test
    void aShardedModelFetchesTheIndexAndExactlyItsShards() throws IOException {
        byte[] s1 = "shard one bytes".getBytes(StandardCharsets.UTF_8);
        byte[] s2 = "shard two, a little longer".getBytes(StandardCharsets.UTF_8);
        String index = "{\"metadata\":{\"total_size\":41},\"weight_map\":{"
                + "\"a.weight\":\"model-00001-of-00002.safetensors\",\"b.weight\":\"model-00002-of-00002.safetensors\","
                + "\"c.weight\":\"model-00001-of-00002.safetensors\"}}";
        Map<String, byte[]> sharded = new LinkedHashMap<>();
        sharded.put("config.json", files.get("config.json"));
        sharded.put("model.safetensors.index.json", index.getBytes(StandardCharsets.UTF_8));
        sharded.put("model-00001-of-00002.safetensors", s1);
        sharded.put("model-00002-of-00002.safetensors", s2);
        sharded.put("consolidated.safetensors", new byte[] {9, 9, 9}); // not in the index: never fetched
        String commit = "1111111111111111111111111111111111111111";
        hub.put("org/sharded", "v1.0", commit, sharded);

        HubSnapshots.Snapshot snap = snapshots().resolve(HubRepo.parse("org/sharded@v1.0"));

        Map<String, String> t = tree(tmp.resolve("hub/models--org--sharded"));
        assertThat(t.keySet()).containsExactlyInAnyOrder("refs/v1.0",
                "blobs/" + FakeHub.gitSha1(files.get("config.json")),
                "blobs/" + FakeHub.gitSha1(index.getBytes(StandardCharsets.UTF_8)),
                "blobs/" + FakeHub.sha256(s1), "blobs/" + FakeHub.sha256(s2),
                "snapshots/" + commit + "/config.json", "snapshots/" + commit + "/model.safetensors.index.json",
                "snapshots/" + commit + "/model-00001-of-00002.safetensors",
                "snapshots/" + commit + "/model-00002-of-00002.safetensors");
        assertThat(Files.readAllBytes(snap.dir().resolve("model-00002-of-00002.safetensors"))).isEqualTo(s2);
        assertThat(hub.log).noneMatch(l -> l.contains("consolidated"));
        // offline, the cached index decides which shards must be there
        assertThat(snapshots(Map.of("HF_HUB_OFFLINE", "1")).resolve(HubRepo.parse("org/sharded@v1.0")).dir())
                .isEqualTo(snap.dir());
    }

    @Test
    void aRepositoryWithOnlyPickledWeightsIsRefused() {
        hub.put("org/pickled", "main", "2222222222222222222222222222222222222222",
                Map.of("config.json", files.get("config.json"), "pytorch_model.bin", new byte[] {1}));

        assertThatThrownBy(() -> snapshots().resolve(HubRepo.parse("org/pickled")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("no safetensors")
                .hasMessageContaining("pytorch_model.bin");
        assertThat(hub.log).noneMatch(l -> l.contains("pytorch_model.bin"));
    }
}
