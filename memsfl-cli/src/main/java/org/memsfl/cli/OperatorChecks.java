package org.memsfl.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.memsfl.util.BadInputException;

/**
 * Checks of an operator's settings that a process makes before it loads a model, so that a mistake costs one line
 * and exit 2 within a second rather than an internal error minutes later. Each message names the option, the value
 * and the operating system's reason.
 */
final class OperatorChecks {

    private OperatorChecks() {
    }

    /** Creates {@code dir} if needed and proves it writable by creating and deleting a file in it. */
    static void writableDirectory(Path dir, String option) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new BadInputException(option + " " + dir + " is a file, not a directory");
        }
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".memsfl-write-check", ".tmp");
            Files.delete(probe);
        } catch (FileSystemException e) {
            throw new BadInputException(option + " " + dir + " is not writable: "
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()) + " (" + e.getFile() + ")", e);
        } catch (IOException e) {
            throw new BadInputException(option + " " + dir + " is not writable: " + e.getMessage(), e);
        }
    }

    /** Binds {@code port} on every interface and lets it go again; port 0 (any free port) always passes. */
    static void portFree(int port) {
        if (port == 0) {
            return;
        }
        if (port < 0 || port > 65535) {
            throw new BadInputException("--port must be in 0..65535, got " + port);
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // as gRPC's server does, so a port in TIME_WAIT is not reported taken
            s.bind(new InetSocketAddress(port));
        } catch (BindException e) {
            throw new BadInputException("cannot listen on --port " + port + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new BadInputException("cannot listen on --port " + port + ": " + e.getMessage(), e);
        }
    }

    /** Refuses two options that contradict each other when both are given. */
    static void notBoth(boolean a, String optionA, boolean b, String optionB, String why) {
        if (a && b) {
            throw new BadInputException(optionA + " and " + optionB + " contradict each other: " + why);
        }
    }
}
