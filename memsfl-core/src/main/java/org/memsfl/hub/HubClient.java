package org.memsfl.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.memsfl.util.BadInputException;

/**
 * The Hub's HTTP API, as huggingface_hub uses it: the model info endpoint
 * ({@code GET <endpoint>/api/models/<repo>/revision/<revision>}: the commit {@code sha} and the file list
 * {@code siblings[].rfilename}), the HEAD of a file's resolve URL ({@code <endpoint>/<repo>/resolve/<revision>/<path>},
 * answered with {@code X-Repo-Commit}, {@code X-Linked-Etag}/{@code ETag}, {@code X-Linked-Size}/{@code Content-Length}
 * and, for large files, a redirect to a content URL) and the download itself, resumed with {@code Range}.
 *
 * <p>Redirects are followed by hand: a relative one (a renamed repository) stays on the Hub, an absolute one (the
 * content host) is where the bytes are fetched from; the token goes only to the endpoint's host. Errors become
 * one-line {@link BadInputException}s built from the status and the Hub's {@code X-Error-Code} header
 * ({@code RepoNotFound}, {@code RevisionNotFound}, {@code EntryNotFound}, {@code GatedRepo}).
 */
public final class HubClient {

    /** What the Hub says of one file at one commit. */
    public record FileMeta(String path, String commit, String etag, long size, URI contentUrl) {
    }

    /** A revision of a repository: its commit and file names. */
    public record ModelInfo(String commit, List<String> files) {
    }

    /** Thrown for a file the Hub does not have (404 EntryNotFound): optional files are skipped on it. */
    public static final class EntryNotFound extends BadInputException {
        public EntryNotFound(String message) {
            super(message);
        }
    }

    private static final int MAX_REDIRECTS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubSettings settings;
    private final Duration timeout;
    private final HttpClient http;

    /**
     * @param settings endpoint and token
     * @param timeout  connect timeout, time to the response headers, and the longest stall while a body streams in
     */
    public HubClient(HubSettings settings, Duration timeout) {
        this.settings = settings;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The commit and files of {@code repo} at its revision. */
    public ModelInfo modelInfo(HubRepo repo) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repo.id() + "/revision/" + encode(repo.revision()));
        HttpResponse<InputStream> r = send(uri, "GET", -1, true);
        try (InputStream body = r.body()) {
            if (r.statusCode() != 200) {
                throw error(r, repo, null);
            }
            JsonNode n = JSON.readTree(body);
            String sha = n.path("sha").asText(null);
            if (!HubRepo.isCommit(sha)) {
                throw new BadInputException("Hub model info of " + repo + " at " + uri + " has no commit sha; is "
                        + settings.endpoint() + " a Hugging Face Hub (HF_ENDPOINT)?");
            }
            List<String> files = new ArrayList<>();
            n.path("siblings").forEach(s -> files.add(s.path("rfilename").asText()));
            return new ModelInfo(sha, files);
        }
    }

    /** HEAD of the file's resolve URL at {@code revision} (a commit hash once known). */
    public FileMeta head(HubRepo repo, String revision, String file) throws IOException {
        URI uri = resolveUrl(repo, revision, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<InputStream> r = send(uri, "HEAD", -1, true);
            r.body().close();
            int s = r.statusCode();
            String location = r.headers().firstValue("Location").orElse(null);
            if (s >= 300 && s < 400 && location != null) {
                URI next = uri.resolve(location);
                if (!URI.create(location).isAbsolute()) {
                    uri = next; // a renamed repository: ask again on the Hub
                    continue;
                }
                return meta(r, repo, file, next);
            }
            if (s != 200) {
                throw error(r, repo, file);
            }
            return meta(r, repo, file, uri);
        }
        throw new BadInputException("more than " + MAX_REDIRECTS + " redirects resolving " + file + " of " + repo);
    }

    /**
     * Streams the file's content into {@code incomplete}, continuing from its current length when it exists
     * (a 206 answer appends; a 200 means the server ignored the range and the body restarts the file).
     */
    public void download(FileMeta meta, Path incomplete, DownloadProgress progress) throws IOException {
        long have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
        if (meta.size() >= 0 && have > meta.size()) {
            Files.delete(incomplete);
            have = 0;
        }
        if (meta.size() >= 0 && have == meta.size()) {
            return;
        }
        URI uri = meta.contentUrl();
        HttpResponse<InputStream> r = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            r = send(uri, "GET", have, sameHost(uri));
            String location = r.headers().firstValue("Location").orElse(null);
            if (r.statusCode() >= 300 && r.statusCode() < 400 && location != null) {
                r.body().close();
                uri = uri.resolve(location);
                continue;
            }
            break;
        }
        int s = r.statusCode();
        boolean append = s == 206;
        if (s != 200 && s != 206) {
            r.body().close();
            throw new BadInputException("download of " + meta.path() + " from " + uri + " failed: HTTP " + s
                    + " (expected 200, or 206 when resuming)");
        }
        try (DownloadProgress.Bar bar = progress.start(meta.path(), meta.size(), append ? have : 0)) {
            copy(r.body(), incomplete, append, append ? have : 0, bar, uri);
        }
    }

    private FileMeta meta(HttpResponse<?> r, HubRepo repo, String file, URI content) {
        String commit = r.headers().firstValue("X-Repo-Commit").orElse(null);
        String etag = r.headers().firstValue("X-Linked-Etag").or(() -> r.headers().firstValue("ETag")).orElse(null);
        if (commit == null || etag == null) {
            throw new BadInputException("the Hub's answer for " + file + " of " + repo + " lacks X-Repo-Commit or ETag;"
                    + " is " + settings.endpoint() + " a Hugging Face Hub (HF_ENDPOINT), or a proxy dropping headers?");
        }
        long size = r.headers().firstValue("X-Linked-Size").or(() -> r.headers().firstValue("Content-Length"))
                .map(Long::parseLong).orElse(-1L);
        return new FileMeta(file, commit, normalizeEtag(etag), size, content);
    }

    /** {@code W/"abc"} and {@code "abc"} are both {@code abc} (huggingface_hub's _normalize_etag). */
    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    private BadInputException error(HttpResponse<?> r, HubRepo repo, String file) {
        int s = r.statusCode();
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        String where = settings.endpoint().toString();
        String tokenHint = settings.token() == null ? "set HF_TOKEN (or log in with `hf auth login`)"
                : "the token from " + settings.tokenFrom() + " was refused or lacks access";
        if ("GatedRepo".equals(code) || ((s == 401 || s == 403) && !"RepoNotFound".equals(code))) {
            return new BadInputException("Hub model " + repo.id() + " is gated or private (HTTP " + s + "): accept its"
                    + " license at " + where + "/" + repo.id() + " and " + tokenHint);
        }
        if ("RevisionNotFound".equals(code)) {
            return new BadInputException("Hub model " + repo.id() + " has no revision '" + repo.revision()
                    + "' (HTTP 404 RevisionNotFound at " + where + "); expected a branch, tag or commit of it");
        }
        if ("EntryNotFound".equals(code) || (s == 404 && file != null && !"RepoNotFound".equals(code))) {
            return new EntryNotFound("Hub model " + repo + " has no file " + file + " (HTTP 404)");
        }
        if ("RepoNotFound".equals(code) || s == 404) {
            return new BadInputException("Hub repository " + repo.id() + " not found at " + where + " (HTTP " + s
                    + "); check the name, or if it is private " + tokenHint);
        }
        return new BadInputException("the Hub at " + where + " answered HTTP " + s + " for " + (file == null
                ? "the model info of " + repo : file + " of " + repo) + "; try again later or set HF_HUB_OFFLINE=1"
                + " to use the cache alone");
    }

    private URI resolveUrl(HubRepo repo, String revision, String file) {
        StringBuilder path = new StringBuilder();
        for (String part : file.split("/")) {
            path.append('/').append(encode(part));
        }
        return URI.create(settings.endpoint() + "/" + repo.id() + "/resolve/" + encode(revision) + path);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private boolean sameHost(URI uri) {
        return uri.getHost() != null && uri.getHost().equalsIgnoreCase(settings.endpoint().getHost())
                && uri.getPort() == settings.endpoint().getPort();
    }

    private HttpResponse<InputStream> send(URI uri, String method, long rangeFrom, boolean auth) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("Accept-Encoding", "identity")
                .header("User-Agent", "memsfl/0.1 (java " + System.getProperty("java.version") + ")");
        if (auth && settings.token() != null && sameHost(uri)) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        if (rangeFrom > 0) {
            b.header("Range", "bytes=" + rangeFrom + "-");
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * Copies the body into {@code part}; a watchdog closes the stream when no byte arrives for the timeout
     * (HttpClient's timeout ends with the headers and would let a stalled body hang forever).
     */
    private void copy(InputStream body, Path part, boolean append, long start, DownloadProgress.Bar bar, URI uri)
            throws IOException {
        AtomicLong last = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        ScheduledExecutorService dog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "memsfl-hub-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(10, timeout.toMillis() / 4);
        dog.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - last.get() > timeout.toNanos()) {
                stalled.set(true);
                try {
                    body.close();
                } catch (IOException ignored) {
                    // closing is the point
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
        Files.createDirectories(part.getParent());
        StandardOpenOption mode = append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        long done = start;
        try (InputStream in = body;
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                done += n;
                last.set(System.nanoTime());
                bar.update(done);
            }
        } catch (IOException e) {
            throw new IOException((stalled.get() ? "stalled (no data for " + timeout.toMillis() + " ms)" : e.getMessage())
                    + " after " + done + " bytes of " + uri, e);
        } finally {
            dog.shutdownNow();
        }
        if (stalled.get()) {
            throw new IOException("stalled (no data for " + timeout.toMillis() + " ms) after " + done + " bytes of " + uri);
        }
    }
}
