package org.memsfl.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback HTTP server that answers like the Hugging Face Hub, for tests that must never reach the internet:
 * <ul>
 *   <li>{@code GET /api/models/<org>/<name>/revision/<rev>}: {@code {"id","sha","siblings":[{"rfilename"}]}};</li>
 *   <li>{@code HEAD|GET /<org>/<name>/resolve/<rev>/<path>}: {@code X-Repo-Commit}; a {@code .safetensors} file is an
 *       LFS file (302 to {@code /cdn/<sha256>} with {@code X-Linked-Etag} = its sha256 and {@code X-Linked-Size}), any
 *       other file answers 200 with {@code ETag} = its git blob sha1;</li>
 *   <li>{@code GET /cdn/<sha256>}: the bytes, {@code Range: bytes=N-} answered with 206 and {@code Content-Range};</li>
 *   <li>errors with {@code X-Error-Code}: RepoNotFound (404, info and resolve), RevisionNotFound (404), EntryNotFound
 *       (404), GatedRepo (401 on resolve for a gated repository; its model info is public, as on the Hub).</li>
 * </ul>
 * Faults: {@link #cutOnce} closes the connection after N body bytes of the next content GET of a file;
 * {@link #corrupt} flips a byte of a file's content while its headers keep the true hash. Every request is logged.
 */
final class FakeHub implements AutoCloseable {

    /** One repository: revision name to commit, commit to files. */
    static final class Repo {
        final Map<String, String> refs = new LinkedHashMap<>();
        final Map<String, Map<String, byte[]>> commits = new LinkedHashMap<>();
        boolean gated;
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer server;
    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobsBySha = new ConcurrentHashMap<>();
    private final Map<String, Integer> cut = new ConcurrentHashMap<>();
    private final Set<String> corrupt = ConcurrentHashMap.newKeySet();
    /** "METHOD path [Range] [Authorization]" per request. */
    final List<String> log = new CopyOnWriteArrayList<>();

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Adds (or extends) a repository with {@code files} at {@code commit}, which {@code revision} points at. */
    Repo put(String id, String revision, String commit, Map<String, byte[]> files) {
        Repo r = repos.computeIfAbsent(id, k -> new Repo());
        r.refs.put(revision, commit);
        r.commits.put(commit, new LinkedHashMap<>(files));
        files.forEach((p, b) -> blobsBySha.put(sha256(b), b));
        return r;
    }

    /** The next content GET of a blob with this sha256 sends only {@code bytes} bytes, then drops the connection. */
    void cutOnce(byte[] content, int bytes) {
        cut.put(sha256(content), bytes);
    }

    void corrupt(byte[] content) {
        corrupt.add(sha256(content));
    }

    long count(String prefix) {
        return log.stream().filter(l -> l.startsWith(prefix)).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        log.add(ex.getRequestMethod() + " " + path + (range != null ? " " + range : "") + (auth != null ? " " + auth : ""));
        try {
            if (path.startsWith("/api/models/")) {
                info(ex, path.substring("/api/models/".length()));
            } else if (path.startsWith("/cdn/")) {
                content(ex, path.substring("/cdn/".length()), range);
            } else {
                resolve(ex, path.substring(1));
            }
        } finally {
            ex.close();
        }
    }

    private void info(HttpExchange ex, String rest) throws IOException {
        String[] p = rest.split("/", 4); // org, name, "revision", rev
        Repo repo = p.length == 4 ? repos.get(p[0] + "/" + p[1]) : null;
        if (repo == null) {
            error(ex, 404, "RepoNotFound");
            return;
        }
        String commit = commitOf(repo, decode(p[3]));
        if (commit == null) {
            error(ex, 404, "RevisionNotFound");
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + p[0] + "/" + p[1] + "\",\"sha\":\"" + commit
                + "\",\"siblings\":[");
        int i = 0;
        for (String f : repo.commits.get(commit).keySet()) {
            json.append(i++ > 0 ? "," : "").append("{\"rfilename\":\"").append(f).append("\"}");
        }
        json.append("]}");
        byte[] b = json.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
    }

    private void resolve(HttpExchange ex, String rest) throws IOException {
        String[] p = rest.split("/", 5); // org, name, "resolve", rev, path
        if (p.length < 5 || !"resolve".equals(p[2])) {
            error(ex, 404, null);
            return;
        }
        Repo repo = repos.get(p[0] + "/" + p[1]);
        if (repo == null) {
            error(ex, 404, "RepoNotFound");
            return;
        }
        if (repo.gated) {
            error(ex, 401, "GatedRepo");
            return;
        }
        String commit = commitOf(repo, decode(p[3]));
        if (commit == null) {
            error(ex, 404, "RevisionNotFound");
            return;
        }
        String file = decode(p[4]);
        byte[] b = repo.commits.get(commit).get(file);
        if (b == null) {
            error(ex, 404, "EntryNotFound");
            return;
        }
        ex.getResponseHeaders().add("X-Repo-Commit", commit);
        if (file.endsWith(".safetensors")) {
            String sha = sha256(b);
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", Long.toString(b.length));
            ex.getResponseHeaders().add("ETag", "\"" + gitSha1(("pointer " + sha).getBytes(StandardCharsets.UTF_8)) + "\"");
            ex.getResponseHeaders().add("Location", endpoint() + "/cdn/" + sha);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        ex.getResponseHeaders().add("ETag", "\"" + gitSha1(b) + "\"");
        if ("HEAD".equals(ex.getRequestMethod())) {
            ex.getResponseHeaders().add("Content-Length", Long.toString(b.length));
            ex.sendResponseHeaders(200, -1);
        } else {
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
        }
    }

    private void content(HttpExchange ex, String sha, String range) throws IOException {
        byte[] b = blobsBySha.get(sha);
        if (b == null) {
            error(ex, 404, null);
            return;
        }
        if (corrupt.contains(sha)) {
            b = b.clone();
            b[b.length / 2] ^= 0x5a;
        }
        int from = 0;
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (m.matches()) {
                from = Integer.parseInt(m.group(1));
            }
        }
        int len = b.length - from;
        if (from > 0) {
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (b.length - 1) + "/" + b.length);
            ex.sendResponseHeaders(206, len);
        } else {
            ex.sendResponseHeaders(200, len);
        }
        Integer stop = cut.remove(sha);
        OutputStream out = ex.getResponseBody();
        if (stop != null) {
            out.write(b, from, Math.min(stop, len));
            out.flush();
            // drop the connection mid-body: the client sees fewer bytes than Content-Length promised
            throw new IOException("cut by the test");
        }
        out.write(b, from, len);
    }

    private static String commitOf(Repo repo, String rev) {
        if (repo.commits.containsKey(rev)) {
            return rev;
        }
        return repo.refs.get(rev);
    }

    private static void error(HttpExchange ex, int status, String code) throws IOException {
        if (code != null) {
            ex.getResponseHeaders().add("X-Error-Code", code);
        }
        byte[] b = ("{\"error\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, "HEAD".equals(ex.getRequestMethod()) ? -1 : b.length);
        if (!"HEAD".equals(ex.getRequestMethod())) {
            ex.getResponseBody().write(b);
        }
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The git blob id: sha1("blob <len>\0" + content), what the Hub sends as ETag of a non-LFS file. */
    static String gitSha1(byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
