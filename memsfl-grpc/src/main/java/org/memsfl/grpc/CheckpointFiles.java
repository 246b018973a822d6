package org.memsfl.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.memsfl.util.AtomicFiles;
import org.memsfl.util.BadInputException;

/**
 * The files of the checkpoint directory: generations {@code round-<r>.{safetensors,json,sha256}} and {@code LATEST}.
 * Sums are SHA-256 in {@code sha256sum} format, so an operator can check a generation by hand
 * ({@code cd checkpoint && sha256sum -c round-3.sha256}). Every file is written through {@link AtomicFiles}
 * (temporary file, fsync, rename, fsync of the directory).
 */
final class CheckpointFiles {

    private static final Pattern GENERATION = Pattern.compile("round-(\\d+)\\.sha256");

    private final Path dir;

    CheckpointFiles(Path dir) {
        this.dir = dir;
    }

    Path tensors(int r) {
        return dir.resolve("round-" + r + ".safetensors");
    }

    Path json(int r) {
        return dir.resolve("round-" + r + ".json");
    }

    Path sums(int r) {
        return dir.resolve("round-" + r + ".sha256");
    }

    Path latest() {
        return dir.resolve("LATEST");
    }

    /** Records the SHA-256 of the generation's two files as they are on disk now. */
    void writeSums(int r) {
        StringBuilder b = new StringBuilder();
        for (Path f : List.of(tensors(r), json(r))) {
            b.append(sha256(f)).append("  ").append(f.getFileName()).append('\n');
        }
        AtomicFiles.writeString(sums(r), b.toString());
    }

    /** @throws BadInputException naming the file whose sum differs, or that is missing */
    void verifySums(int r) {
        Path sumFile = sums(r);
        List<String> lines;
        try {
            lines = Files.readAllLines(sumFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadInputException(sumFile + ": cannot read the generation's sums: " + e.getMessage(), e);
        }
        Map<String, String> expected = new LinkedHashMap<>();
        for (String line : lines) {
            String[] p = line.strip().split("\\s+", 2);
            if (p.length == 2) {
                expected.put(p[1].replaceFirst("^\\*", ""), p[0]);
            }
        }
        for (Path f : List.of(tensors(r), json(r))) {
            String want = expected.get(f.getFileName().toString());
            if (want == null) {
                throw new BadInputException(sumFile + " lists no sum for " + f.getFileName());
            }
            if (!Files.isRegularFile(f)) {
                throw new BadInputException(f + " is missing");
            }
            String got = sha256(f);
            if (!got.equals(want)) {
                throw new BadInputException(f + ": sha256 " + got + " differs from the " + want + " recorded when it"
                        + " was written (the file changed or is damaged)");
            }
        }
    }

    /** Points LATEST at {@code r}, then drops every generation except {@code r} and the newest one before it. */
    void commit(int r) {
        AtomicFiles.writeString(latest(), r + "\n");
        List<Integer> older = new ArrayList<>(generations().headSet(r, false).descendingSet());
        for (int i = 1; i < older.size(); i++) {
            discard(older.get(i));
        }
    }

    /** Removes a generation's files (best effort: this also runs when the disk is failing). */
    void discard(int r) {
        for (Path f : List.of(sums(r), json(r), tensors(r))) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                // a generation without its sums is never read; what is left is harmless
            }
        }
    }

    /**
     * Rounds to try on resume, newest first: LATEST's, then each older generation that has sums. Empty when there
     * is no LATEST (no checkpoint was ever committed here). A LATEST that cannot be read falls back to the
     * generations present.
     */
    List<Integer> candidates() {
        if (!Files.exists(latest())) {
            return List.of();
        }
        int newest = Integer.MAX_VALUE;
        try {
            newest = Integer.parseInt(Files.readString(latest()).strip());
        } catch (IOException | NumberFormatException e) {
            // damaged LATEST: every generation present is a candidate
        }
        List<Integer> out = new ArrayList<>();
        if (newest != Integer.MAX_VALUE) {
            out.add(newest);
        }
        for (int r : generations().descendingSet()) {
            if (r < newest) {
                out.add(r);
            }
        }
        return out;
    }

    private TreeSet<Integer> generations() {
        TreeSet<Integer> out = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "round-*.sha256")) {
            for (Path f : ds) {
                Matcher m = GENERATION.matcher(f.getFileName().toString());
                if (m.matches()) {
                    out.add(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    static String sha256(Path f) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) {
                // digesting
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        } catch (IOException e) {
            throw new BadInputException(f + ": cannot read: " + e.getMessage(), e);
        }
    }
}
