package org.memsfl.lora;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.TreeSet;
import org.memsfl.util.BadInputException;

/**
 * Writes a directory of several files as one unit. The files are written into a hidden temporary sibling and the
 * sibling is renamed into place, so a reader (or a crash) sees the old directory or the complete new one, never a
 * mix such as new tensors beside an old config. A directory cannot be renamed over a non-empty one, so an existing
 * target is first renamed aside and deleted once the new one is in place; to never delete files it did not write,
 * an existing target may hold only the files this kind of directory consists of.
 */
final class AdapterDirs {

    /** Fills the (empty, temporary) directory it is given. */
    @FunctionalInterface
    interface Body {
        void writeInto(Path dir) throws IOException;
    }

    private AdapterDirs() {
    }

    /**
     * Writes {@code target} through {@code body}.
     *
     * @param owned file names a directory of this kind consists of; an existing target holding anything else is
     *              refused rather than replaced
     * @throws BadInputException when {@code target} is a file or holds files not in {@code owned}
     */
    static void write(Path target, Set<String> owned, Body body) {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) {
            throw new BadInputException("cannot write an adapter directory at the file system root: " + target);
        }
        if (Files.exists(abs)) {
            checkReplaceable(target, abs, owned);
        }
        String name = abs.getFileName().toString();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, "." + name + ".tmp-");
            body.writeInto(tmp);
            if (Files.exists(abs)) {
                Path old = Files.createTempDirectory(parent, "." + name + ".old-");
                Files.delete(old); // only the unique name is wanted: the rename below recreates it
                move(abs, old);
                try {
                    move(tmp, abs);
                } catch (IOException e) {
                    move(old, abs); // put the previous adapter back rather than leave nothing
                    throw e;
                }
                tmp = null;
                deleteTree(old);
            } else {
                move(tmp, abs);
                tmp = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    private static void checkReplaceable(Path target, Path abs, Set<String> owned) {
        if (!Files.isDirectory(abs)) {
            throw new BadInputException("cannot write adapter directory " + target + ": a file of that name exists");
        }
        Set<String> foreign = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(abs)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                if (!owned.contains(f) || !Files.isRegularFile(p)) {
                    foreign.add(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + target + ": " + e.getMessage(), e);
        }
        if (!foreign.isEmpty()) {
            throw new BadInputException("refusing to replace " + target + ": it holds " + foreign
                    + " besides adapter files " + owned + "; choose a new or empty directory");
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException ignored) {
            // the write already failed; its error is the one worth reporting
        }
    }
}
