package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

/** {@link AssetDownloader} against a local HTTP server serving the real stories260K.bin; never the internet. */
class AssetDownloaderTest {

    static final String SHA = "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696";
    static final String PATH = "/stories260K/stories260K.bin";

    byte[] bytes;
    LocalFileServer server;
    AssetDownloader downloader;
    URI url;

    @BeforeEach
    void start() throws IOException {
        bytes = Files.readAllBytes(Assets.stories260K());
        server = new LocalFileServer().serve(PATH, bytes);
        downloader = new AssetDownloader(server.base(), Duration.ofSeconds(10));
        url = downloader.urlFor("stories260K", "stories260K.bin", null);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void mirrorLayoutIsModelSlashFile() {
        assertThat(url).isEqualTo(server.base().resolve("stories260K/stories260K.bin"));
        AssetDownloader origin = new AssetDownloader(null, Duration.ofSeconds(1));
        assertThat(origin.urlFor("m", "f.bin", URI.create("https://example.org/a/b/")))
                .isEqualTo(URI.create("https://example.org/a/b/f.bin"));
    }

    @Test
    void fullDownloadIsVerifiedAndPlaced(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("stories260K.bin");
        downloader.fetch(url, target, SHA);
        assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
        assertThat(dir.resolve("stories260K.bin.part")).doesNotExist();
        assertThat(server.rangeHeaders).containsExactly("");
        // already there and verified: no second request
        downloader.fetch(url, target, SHA);
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void resumesFromAPartialFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("stories260K.bin");
        int have = 300_000;
        Files.write(dir.resolve("stories260K.bin.part"), Arrays.copyOf(bytes, have));
        downloader.fetch(url, target, SHA);
        assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
        assertThat(server.rangeHeaders).containsExactly("bytes=" + have + "-");
        assertThat(server.bodyBytesSent.get()).isEqualTo(bytes.length - have);
    }

    /** A server may answer a range request with 200 and the whole file; the partial bytes must then be discarded. */
    @Test
    void serverIgnoringTheRangeStartsOver(@TempDir Path dir) throws IOException {
        server.mode = LocalFileServer.Mode.IGNORE_RANGE;
        Path target = dir.resolve("stories260K.bin");
        byte[] junk = new byte[5000];
        Arrays.fill(junk, (byte) 7);
        Files.write(dir.resolve("stories260K.bin.part"), junk);
        downloader.fetch(url, target, SHA);
        assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
        assertThat(server.rangeHeaders).containsExactly("bytes=5000-");
    }

    @Test
    void corruptDownloadIsDeletedAndNamed(@TempDir Path dir) {
        server.mode = LocalFileServer.Mode.CORRUPT;
        Path target = dir.resolve("stories260K.bin");
        assertThatThrownBy(() -> downloader.fetch(url, target, SHA))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(url.toString()).hasMessageContaining("expected " + SHA)
                .hasMessageMatching(".*sha256 [0-9a-f]{64}, expected.*");
        assertThat(target).doesNotExist();
        assertThat(dir.resolve("stories260K.bin.part")).doesNotExist();
    }

    @Test
    void wrongFileAlreadyInPlaceIsReplaced(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("stories260K.bin");
        Files.writeString(target, "not the model");
        downloader.fetch(url, target, SHA);
        assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
    }

    @Test
    void httpErrorIsNamed(@TempDir Path dir) {
        URI missing = downloader.urlFor("stories260K", "nope.bin", null);
        assertThatThrownBy(() -> downloader.fetch(missing, dir.resolve("nope.bin"), SHA))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("HTTP 404");
        assertThat(dir.resolve("nope.bin")).doesNotExist();
    }

    /** A body that stops arriving fails after the timeout, keeps what came, and the next attempt resumes from it. */
    @Test
    void stalledDownloadTimesOutAndResumesLater(@TempDir Path dir) throws IOException {
        server.mode = LocalFileServer.Mode.STALL_HALFWAY;
        AssetDownloader impatient = new AssetDownloader(server.base(), Duration.ofMillis(500));
        Path target = dir.resolve("stories260K.bin");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> impatient.fetch(url, target, SHA))
                .isInstanceOf(BadInputException.class).hasMessageContaining("stalled");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
        assertThat(target).doesNotExist();
        long kept = Files.size(dir.resolve("stories260K.bin.part"));
        assertThat(kept).isEqualTo(bytes.length / 2);

        server.mode = LocalFileServer.Mode.NORMAL;
        impatient.fetch(url, target, SHA);
        assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
        assertThat(server.rangeHeaders).last().isEqualTo("bytes=" + kept + "-");
    }

    @Test
    void unreachableServerFailsWithinTheTimeout(@TempDir Path dir) {
        server.close(); // nothing listens on the port any more
        AssetDownloader d = new AssetDownloader(server.base(), Duration.ofSeconds(2));
        assertThatThrownBy(() -> d.fetch(url, dir.resolve("x.bin"), SHA))
                .isInstanceOf(BadInputException.class).hasMessageContaining("cannot download " + url);
    }
}
