package org.memsfl.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.memsfl.util.AtomicFiles;

/**
 * The Hugging Face hub cache on disk, in the layout every Hugging Face tool shares (Hub docs, "Hub Local Cache"):
 * <pre>
 * &lt;cache&gt;/models--org--name/
 *   refs/&lt;revision&gt;                    the commit hash the branch or tag pointed at (no newline)
 *   blobs/&lt;etag&gt;                       file contents, named by sha256 (LFS files) or git blob sha1 (small files)
 *   blobs/&lt;etag&gt;.incomplete            a download in progress, resumed from its length
 *   snapshots/&lt;commit&gt;/&lt;path&gt;          relative symlink to ../../blobs/&lt;etag&gt; (one more ../ per sub-folder)
 * &lt;cache&gt;/.locks/models--org--name/&lt;etag&gt;.lock
 * </pre>
 * Where the file system refuses symlinks the snapshot holds a copy of the blob (what huggingface_hub does on Windows
 * without developer mode).
 */
public final class HubCache {

    private final Path root;

    /** @param root the hub cache directory ({@code HF_HUB_CACHE}) */
    public HubCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** {@code <cache>/models--org--name}. */
    public Path repoDir(HubRepo repo) {
        return root.resolve(repo.folderName());
    }

    /** The commit the revision resolves to in the cache: the revision itself when it is a commit, else its ref file. */
    public Optional<String> commit(HubRepo repo) {
        if (repo.revisionIsCommit()) {
            return Files.isDirectory(snapshotDir(repo, repo.revision())) ? Optional.of(repo.revision()) : Optional.empty();
        }
        Path ref = repoDir(repo).resolve("refs").resolve(repo.revision());
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String c = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return HubRepo.isCommit(c) ? Optional.of(c) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    /** Records that {@code revision} points at {@code commit} (nothing for a revision that is a commit). */
    public void writeRef(HubRepo repo, String commit) {
        if (!repo.revisionIsCommit()) {
            Path ref = repoDir(repo).resolve("refs").resolve(repo.revision());
            AtomicFiles.writeString(ref, commit);
        }
    }

    public Path snapshotDir(HubRepo repo, String commit) {
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    /** The file's path in the snapshot if it is there and readable (a dangling symlink is not). */
    public Optional<Path> snapshotFile(HubRepo repo, String commit, String file) {
        Path p = snapshotDir(repo, commit).resolve(file);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty(); // follows the symlink
    }

    public Path blob(HubRepo repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    public Path incomplete(HubRepo repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag + ".incomplete");
    }

    public Path lockFile(HubRepo repo, String etag) {
        return root.resolve(".locks").resolve(repo.folderName()).resolve(etag + ".lock");
    }

    /**
     * Points {@code snapshots/<commit>/<file>} at {@code blobs/<etag>}: a relative symlink, or a copy where symlinks
     * are refused.
     */
    public Path link(HubRepo repo, String commit, String file, String etag) {
        Path pointer = snapshotDir(repo, commit).resolve(file);
        Path blob = blob(repo, etag);
        try {
            Files.createDirectories(pointer.getParent());
            Files.deleteIfExists(pointer);
            Path relative = pointer.getParent().relativize(blob);
            try {
                Files.createSymbolicLink(pointer, relative);
            } catch (UnsupportedOperationException | FileSystemException noSymlinks) {
                Files.copy(blob, pointer, StandardCopyOption.REPLACE_EXISTING);
            }
            return pointer;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot link " + pointer + " to " + blob + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether {@code file}'s bytes match the Hub's etag: a 64-hex etag is the sha256 of the content (Git LFS), a
     * 40-hex one the git blob id, sha1("blob &lt;length&gt;\0" + content). Other etags cannot be checked: true.
     */
    public static boolean matchesEtag(Path file, String etag) throws IOException {
        if (etag.matches("[0-9a-f]{64}")) {
            return etag.equals(digest(file, "SHA-256", null));
        }
        if (etag.matches("[0-9a-f]{40}")) {
            String header = "blob " + Files.size(file) + "\0";
            return etag.equals(digest(file, "SHA-1", header.getBytes(StandardCharsets.US_ASCII)));
        }
        return true;
    }

    /** True when the etag names a content hash this class can verify. */
    public static boolean verifiable(String etag) {
        return etag.matches("[0-9a-f]{64}|[0-9a-f]{40}");
    }

    static String digest(Path file, String algorithm, byte[] prefix) throws IOException {
        return org.memsfl.util.FileDigests.hex(file, algorithm, prefix);
    }
}
