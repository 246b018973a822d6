package org.memsfl.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.memsfl.util.BadInputException;

/**
 * Downloads model files over HTTP(S) into the cache, resumably and verified. Bytes go to {@code <target>.part};
 * an existing partial file is continued with {@code Range: bytes=<size>-} (RFC 9110 section 14: a 206 response
 * appends, a 200 means the server ignored the range and the body is the whole file). The finished file's sha256 must
 * equal the expected one before it is moved into place atomically, so {@code target} only ever holds a verified
 * file; a mismatching download is deleted.
 *
 * <p>A mirror base ({@code MEMSFL_DOWNLOAD_BASE}, or the constructor argument) replaces every origin: file
 * {@code f} of model {@code m} is then fetched from {@code <base>/m/f}, the layout of the cache's own
 * {@code models/} directory. Tests point it at a local server.
 *
 * <p>Failures throw {@link BadInputException}: the CLI prints the one line, and the user's remedy (network, mirror,
 * placing the files in the cache by hand) is theirs to take.
 */
public final class AssetDownloader {

    /** Environment variable naming a mirror base URL. */
    public static final String BASE_ENV = "MEMSFL_DOWNLOAD_BASE";

    /** Default for both the connect timeout and the longest pause while the body streams in. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-\\d+/(\\d+|\\*)");

    private static final ConcurrentHashMap<Path, Object> IN_JVM_LOCKS = new ConcurrentHashMap<>();

    private final URI mirrorBase;
    private final Duration timeout;
    private final HttpClient http;

    /**
     * @param mirrorBase base URL replacing every origin (see class doc), or null to use the origins
     * @param timeout    connect timeout, time to the response headers, and longest stall while reading the body
     */
    public AssetDownloader(URI mirrorBase, Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        if (mirrorBase != null && !("http".equals(mirrorBase.getScheme()) || "https".equals(mirrorBase.getScheme()))) {
            throw new BadInputException(BASE_ENV + " / download base '" + mirrorBase + "' is not an http(s) URL");
        }
        this.mirrorBase = mirrorBase;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** Mirror from {@value #BASE_ENV} if set, default timeout. */
    public static AssetDownloader fromEnvironment() {
        String base = System.getenv(BASE_ENV);
        URI uri = null;
        if (base != null && !base.isBlank()) {
            try {
                uri = URI.create(base.trim());
            } catch (IllegalArgumentException e) {
                throw new BadInputException(BASE_ENV + "='" + base + "' is not a URL: " + e.getMessage());
            }
        }
        return new AssetDownloader(uri, DEFAULT_TIMEOUT);
    }

    /** Where file {@code file} of model {@code model} is fetched from: the mirror if set, else {@code origin}. */
    public URI urlFor(String model, String file, URI origin) {
        if (mirrorBase != null) {
            String b = mirrorBase.toString();
            return URI.create((b.endsWith("/") ? b : b + "/") + model + "/" + file);
        }
        if (origin == null) {
            throw new BadInputException("model '" + model + "' has no public download origin; place " + file
                    + " in the cache by hand or set " + BASE_ENV + " to a mirror");
        }
        return origin.resolve(file);
    }

    /**
     * Makes {@code target} hold the file at {@code url} whose sha256 is {@code sha256} (lower-case hex). Returns at
     * once when it already does; a {@code target} with other content is replaced. Safe against concurrent calls for
     * the same target from threads of this JVM and from other processes (a lock file beside the target).
     *
     * @return {@code target}
     */
    public Path fetch(URI url, Path target, String sha256) {
        Path abs = target.toAbsolutePath().normalize();
        synchronized (IN_JVM_LOCKS.computeIfAbsent(abs, k -> new Object())) {
            try {
                Files.createDirectories(abs.getParent());
                Path lockFile = abs.resolveSibling(abs.getFileName() + ".lock");
                try (FileChannel lockCh = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock lock = lockCh.lock()) {
                    if (Files.isRegularFile(abs) && sha256(abs).equals(sha256)) {
                        return target; // another thread or process finished it while we waited
                    }
                    download(url, abs, sha256);
                    return target;
                }
            } catch (IOException e) {
                throw new BadInputException("cannot download " + url + " to " + target + ": " + e, e);
            }
        }
    }

    private void download(URI url, Path target, String expected) throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        HttpResponse<InputStream> resp = send(url, have);
        int status = resp.statusCode();
        if (status == 416 && have > 0) {
            // the partial file is already as long as (or longer than) the resource: verify it as is, else restart
            resp.body().close();
            if (!sha256(part).equals(expected)) {
                Files.delete(part);
                have = 0;
                resp = send(url, 0);
                status = resp.statusCode();
            }
        }
        if (status == 206) {
            long start = contentRangeStart(resp);
            if (start != have) {
                resp.body().close();
                throw new BadInputException("download of " + url + ": asked for bytes from " + have
                        + ", server answered a range starting at " + start + "; delete " + part + " and retry");
            }
            copy(resp.body(), part, true, url);
        } else if (status == 200) {
            copy(resp.body(), part, false, url); // whole body: start over even if a partial file existed
        } else if (status != 416) {
            resp.body().close();
            throw new BadInputException("download of " + url + " failed: HTTP " + status
                    + " (expected 200, or 206 when resuming)");
        }
        String got = sha256(part);
        if (!got.equals(expected)) {
            Files.deleteIfExists(part);
            throw new BadInputException("download of " + url + " is corrupt: sha256 " + got + ", expected " + expected
                    + "; the download was deleted");
        }
        try {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException atomicUnsupported) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private HttpResponse<InputStream> send(URI url, long from) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout).GET();
        if (from > 0) {
            b.header("Range", "bytes=" + from + "-");
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** First byte position of {@code Content-Range: bytes <first>-<last>/<total>}. */
    private static long contentRangeStart(HttpResponse<?> resp) {
        String cr = resp.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(cr.trim());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Streams the body into {@code part}. A watchdog closes the stream when no byte arrives for {@code timeout}:
     * HttpClient's request timeout ends with the response headers and would let a stalled body hang forever.
     */
    private void copy(InputStream body, Path part, boolean append, URI url) throws IOException {
        AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "memsfl-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(10, timeout.toMillis() / 4);
        AtomicBoolean stalled = new AtomicBoolean();
        ScheduledFuture<?> check = watchdog.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastProgress.get() > timeout.toNanos()) {
                stalled.set(true);
                try {
                    body.close();
                } catch (IOException ignored) {
                    // closing is the point; the reader sees the failure
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
        StandardOpenOption mode = append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        try (InputStream in = body;
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                lastProgress.set(System.nanoTime());
            }
        } catch (IOException e) {
            if (stalled.get()) {
                // the partial file stays: the next attempt resumes from it
                throw stalled(url, part);
            }
            throw e;
        } finally {
            check.cancel(false);
            watchdog.shutdownNow();
        }
        if (stalled.get()) {
            // some streams report a close from another thread as end of data rather than an error
            throw stalled(url, part);
        }
    }

    private BadInputException stalled(URI url, Path part) {
        return new BadInputException("download of " + url + " stalled: no data for " + timeout.toMillis()
                + " ms; partial file kept at " + part + " for resuming");
    }

    /** Lower-case hex sha256 of a file's content. */
    public static String sha256(Path file) throws IOException {
        return org.memsfl.util.FileDigests.hex(file, "SHA-256", null);
    }
}
