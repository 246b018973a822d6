package org.memsfl.util;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Content hashes of files, streamed in 64 KiB reads (checkpoints and weights can exceed memory). */
public final class FileDigests {

    private FileDigests() {
    }

    /**
     * Lower-case hex digest of {@code prefix} (may be null) followed by the file's bytes.
     *
     * @param algorithm a JDK {@link MessageDigest} name, e.g. "SHA-256" or "SHA-1" (git blob ids hash a header first)
     */
    public static String hex(Path file, String algorithm, byte[] prefix) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has " + algorithm, e);
        }
        if (prefix != null) {
            md.update(prefix);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
