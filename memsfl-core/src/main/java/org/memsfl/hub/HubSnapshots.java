package org.memsfl.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.memsfl.util.BadInputException;

/**
 * Makes a Hub model's files available as a snapshot folder of the Hugging Face cache: found there first, downloaded
 * into the same layout when missing (never with {@code HF_HUB_OFFLINE=1}).
 *
 * <p>Files a model needs: {@code config.json}; if the repository has them, {@code generation_config.json} and the
 * tokenizer files ({@link #TOKENIZER_FILES}); and the weights as safetensors: {@code model.safetensors}, or
 * {@code model.safetensors.index.json} and exactly the shards its {@code weight_map} names. Pickled weights
 * ({@code *.bin}, {@code *.pt}) are never fetched: loading them would run code from the file.
 *
 * <p>Each download goes to {@code blobs/<etag>.incomplete}, is resumed with a Range request after a cut connection
 * (up to {@value #ATTEMPTS} attempts in one run, and across runs since the partial file stays), and becomes
 * {@code blobs/<etag>} only once its content matches the etag (sha256 for large files); a mismatch deletes it.
 */
public final class HubSnapshots {

    /** A resolved snapshot: the commit the revision named and the folder holding the files. */
    public record Snapshot(HubRepo repo, String commit, Path dir) {
        /** {@code org/name@commit}: the id that pins exactly these files. */
        public String id() {
            return repo.id() + "@" + commit;
        }
    }

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    /** Optional files fetched when the repository has them. */
    public static final List<String> TOKENIZER_FILES = List.of("generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model",
            "added_tokens.json", "chat_template.jinja", "chat_template.json");
    static final int ATTEMPTS = 3;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubSettings settings;
    private final HubCache cache;
    private final HubClient client;
    private final DownloadProgress progress;

    public HubSnapshots(HubSettings settings, DownloadProgress progress, Duration timeout) {
        this.settings = settings;
        this.cache = new HubCache(settings.cacheDir());
        this.client = new HubClient(settings, timeout);
        this.progress = progress;
    }

    /** From the process environment, with a progress bar on stderr and a 60 s timeout. */
    public static HubSnapshots fromEnvironment() {
        return new HubSnapshots(HubSettings.fromEnvironment(), DownloadProgress.console(), Duration.ofSeconds(60));
    }

    public HubCache cache() {
        return cache;
    }

    /** The snapshot holding every file the model needs; downloads what is missing unless offline. */
    public Snapshot resolve(HubRepo repo) {
        if (settings.offline()) {
            return fromCache(repo, "HF_HUB_OFFLINE is set");
        }
        HubClient.ModelInfo info;
        try {
            info = client.modelInfo(repo);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            Optional<Snapshot> cached = completeInCache(repo);
            if (cached.isPresent()) {
                System.err.println("memsfl: cannot reach the Hub at " + settings.endpoint() + " (" + e + "); using "
                        + cached.get().id() + " from the cache " + cache.root());
                return cached.get();
            }
            throw new BadInputException("cannot reach the Hub at " + settings.endpoint() + " (" + e + ") and "
                    + repo + " is not complete in the cache " + cache.root() + "; check the network or HF_ENDPOINT", e);
        } catch (IOException e) {
            throw new BadInputException("cannot read the model info of " + repo + " from " + settings.endpoint() + ": "
                    + e.getMessage(), e);
        }
        String commit = info.commit();
        Set<String> files = new TreeSet<>(info.files());
        if (!files.contains(CONFIG)) {
            throw new BadInputException("Hub model " + repo + " has no " + CONFIG + "; memsfl loads Hugging Face"
                    + " transformers models (config.json + safetensors)");
        }
        fetch(repo, commit, CONFIG);
        for (String f : TOKENIZER_FILES) {
            if (files.contains(f)) {
                fetch(repo, commit, f);
            }
        }
        if (files.contains(INDEX)) {
            Path index = fetch(repo, commit, INDEX);
            for (String shard : shards(index)) {
                fetch(repo, commit, shard);
            }
        } else if (files.contains(WEIGHTS)) {
            fetch(repo, commit, WEIGHTS);
        } else {
            List<String> pickled = info.files().stream().filter(f -> f.matches(".*\\.(bin|pt|pth|ckpt|pkl)")).toList();
            throw new BadInputException("Hub model " + repo + " has no safetensors weights (" + WEIGHTS + " or " + INDEX
                    + ")" + (pickled.isEmpty() ? "" : "; it has only pickled ones " + pickled
                    + ", which memsfl never loads because unpickling runs code from the file"));
        }
        cache.writeRef(repo, commit);
        return new Snapshot(repo, commit, cache.snapshotDir(repo, commit));
    }

    /** The snapshot from the cache alone; {@code why} heads the message when something is missing. */
    Snapshot fromCache(HubRepo repo, String why) {
        String commit = cache.commit(repo).orElseThrow(() -> new BadInputException(why + " and " + repo
                + " is not in the Hugging Face cache " + cache.root() + " (no " + cache.repoDir(repo).resolve("refs")
                .resolve(repo.revision()) + "); download it once without HF_HUB_OFFLINE or set HF_HUB_CACHE"));
        for (String f : required(repo, commit)) {
            if (cache.snapshotFile(repo, commit, f).isEmpty()) {
                throw new BadInputException(why + " and file " + f + " of " + repo.id() + "@" + commit
                        + " is not in the cache (expected " + cache.snapshotDir(repo, commit).resolve(f) + ")");
            }
        }
        return new Snapshot(repo, commit, cache.snapshotDir(repo, commit));
    }

    private Optional<Snapshot> completeInCache(HubRepo repo) {
        try {
            return Optional.of(fromCache(repo, "offline"));
        } catch (BadInputException e) {
            return Optional.empty();
        }
    }

    /** config.json and the weights (the index's shards when sharded) of a cached snapshot. */
    private List<String> required(HubRepo repo, String commit) {
        List<String> req = new ArrayList<>(List.of(CONFIG));
        Optional<Path> index = cache.snapshotFile(repo, commit, INDEX);
        if (index.isPresent()) {
            req.add(INDEX);
            req.addAll(shards(index.get()));
        } else {
            req.add(WEIGHTS);
        }
        return req;
    }

    /** The shard file names an index's weight_map points at, in first-seen order. */
    static Set<String> shards(Path index) {
        try {
            JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
            if (!map.isObject() || map.isEmpty()) {
                throw new BadInputException(index + ": no weight_map object; expected a safetensors index");
            }
            Set<String> out = new LinkedHashSet<>();
            map.fields().forEachRemaining(e -> out.add(e.getValue().asText()));
            for (String s : out) {
                if (s.contains("..") || s.startsWith("/") || !s.endsWith(".safetensors")) {
                    throw new BadInputException(index + ": weight_map names '" + s + "'; expected a .safetensors file"
                            + " inside the repository");
                }
            }
            return out;
        } catch (IOException e) {
            throw new BadInputException("cannot read " + index + ": " + e.getMessage(), e);
        }
    }

    /** Makes {@code snapshots/<commit>/<file>} exist, downloading its blob if needed. */
    private Path fetch(HubRepo repo, String commit, String file) {
        Optional<Path> have = cache.snapshotFile(repo, commit, file);
        if (have.isPresent()) {
            return have.get();
        }
        try {
            HubClient.FileMeta meta = client.head(repo, commit, file);
            if (!meta.commit().equals(commit)) {
                throw new BadInputException("the Hub answered commit " + meta.commit() + " for " + file + " of "
                        + repo.id() + "@" + commit + "; expected the same commit");
            }
            Path blob = cache.blob(repo, meta.etag());
            Path lockFile = cache.lockFile(repo, meta.etag());
            Files.createDirectories(lockFile.getParent());
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = ch.lock()) {
                if (!Files.isRegularFile(blob)) {
                    downloadBlob(repo, meta, blob);
                }
            }
            return cache.link(repo, commit, file, meta.etag());
        } catch (IOException e) {
            throw new BadInputException("cannot fetch " + file + " of " + repo + " from " + settings.endpoint() + ": "
                    + e.getMessage(), e);
        }
    }

    private void downloadBlob(HubRepo repo, HubClient.FileMeta meta, Path blob) throws IOException {
        Path part = cache.incomplete(repo, meta.etag());
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                client.download(meta, part, progress);
                last = null;
                break;
            } catch (IOException e) {
                last = e; // the partial file stays; the next attempt resumes from its length
            }
        }
        if (last != null) {
            throw new BadInputException("download of " + meta.path() + " of " + repo + " failed " + ATTEMPTS
                    + " times (" + last.getMessage() + "); the partial file " + part + " is kept and the next run"
                    + " resumes it", last);
        }
        if (!HubCache.matchesEtag(part, meta.etag())) {
            long size = Files.size(part);
            Files.deleteIfExists(part);
            throw new BadInputException("download of " + meta.path() + " of " + repo + " is corrupt: its "
                    + (meta.etag().length() == 64 ? "sha256" : "git blob sha1") + " is not the Hub's etag "
                    + meta.etag() + " (" + size + " bytes received); the download was deleted, nothing was kept");
        }
        try {
            Files.move(part, blob, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException atomicUnsupported) {
            Files.move(part, blob, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
