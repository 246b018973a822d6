package org.memsfl.model;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) serving byte arrays by path, for download tests that must never
 * reach the internet. Honours {@code Range: bytes=N-} with 206 unless told to ignore ranges; can corrupt one byte
 * or stall half-way. Records every request's Range header and the body bytes it sent.
 */
final class LocalFileServer implements AutoCloseable {

    enum Mode { NORMAL, IGNORE_RANGE, CORRUPT, STALL_HALFWAY }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final List<String> rangeHeaders = new CopyOnWriteArrayList<>();
    final List<String> paths = new CopyOnWriteArrayList<>();
    final AtomicLong bodyBytesSent = new AtomicLong();
    private final CountDownLatch release = new CountDownLatch(1);
    volatile Mode mode = Mode.NORMAL;

    LocalFileServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "local-file-server");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    LocalFileServer serve(String path, byte[] content) {
        files.put(path, content);
        return this;
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    int requests() {
        return paths.size();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            paths.add(path);
            String range = ex.getRequestHeaders().getFirst("Range");
            rangeHeaders.add(range == null ? "" : range);
            byte[] content = files.get(path);
            if (content == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = content.clone();
            if (mode == Mode.CORRUPT) {
                body[body.length / 3] ^= 0x5a;
            }
            int from = 0;
            Matcher m = range == null ? null : RANGE.matcher(range);
            if (m != null && m.matches() && mode != Mode.IGNORE_RANGE) {
                from = Integer.parseInt(m.group(1));
                if (from >= body.length) {
                    ex.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - from);
            } else {
                ex.sendResponseHeaders(200, body.length);
            }
            OutputStream out = ex.getResponseBody();
            if (mode == Mode.STALL_HALFWAY) {
                int half = (body.length - from) / 2;
                out.write(body, from, half);
                out.flush();
                bodyBytesSent.addAndGet(half);
                try {
                    release.await(30, TimeUnit.SECONDS); // the client gives up long before
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            out.write(body, from, body.length - from);
            bodyBytesSent.addAndGet(body.length - from);
        } catch (IOException e) {
            // the client hung up (a stalled download it abandoned): nothing to answer
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
