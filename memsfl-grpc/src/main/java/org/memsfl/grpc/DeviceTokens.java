package org.memsfl.grpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.memsfl.util.BadInputException;

/**
 * Who may talk to the edge server: either a token per device id (a tokens file; only listed ids are admitted) or one
 * fleet-wide token (any device id that presents it). Tokens are compared in constant time.
 */
public final class DeviceTokens {

    private final Map<String, byte[]> perDevice;
    private final byte[] shared;

    private DeviceTokens(Map<String, byte[]> perDevice, byte[] shared) {
        this.perDevice = perDevice;
        this.shared = shared;
    }

    /** One token per device id. */
    public static DeviceTokens of(Map<String, String> tokens) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("device tokens must list at least one device");
        }
        Map<String, byte[]> m = new LinkedHashMap<>();
        tokens.forEach((id, t) -> {
            if (id == null || id.isBlank() || t == null || t.isBlank()) {
                throw new IllegalArgumentException("device ids and tokens must be non-empty, got '" + id + "'");
            }
            m.put(id, t.getBytes(StandardCharsets.UTF_8));
        });
        return new DeviceTokens(Collections.unmodifiableMap(m), null);
    }

    /** One token for the whole fleet. */
    public static DeviceTokens shared(String token) {
        if (token == null || token.length() < 16) {
            throw new IllegalArgumentException("a fleet token must have at least 16 characters");
        }
        return new DeviceTokens(Map.of(), token.getBytes(StandardCharsets.UTF_8));
    }

    /** A fresh random token: 32 bytes from {@link SecureRandom}, URL-safe base64. */
    public static String generate() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * Reads a tokens file: one {@code <device-id> <token>} (or {@code <device-id>=<token>}) per line; blank lines and
     * lines starting with {@code #} are skipped.
     */
    public static DeviceTokens read(Path file) {
        requirePrivate(file, "tokens file");
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadInputException("cannot read tokens file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s*=\\s*|\\s+", 2);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isBlank()) {
                throw new BadInputException(file + ":" + (i + 1) + ": expected '<device-id> <token>', got '" + line + "'");
            }
            if (m.put(parts[0], parts[1].strip()) != null) {
                throw new BadInputException(file + ":" + (i + 1) + ": device id '" + parts[0] + "' is listed twice");
            }
        }
        if (m.isEmpty()) {
            throw new BadInputException("tokens file " + file + " lists no device");
        }
        return of(m);
    }

    /**
     * Refuses a secret file that is missing or that its group or other users may read (as ssh refuses such a key): a
     * token anyone on the machine can read is no token.
     *
     * @param what for the message, e.g. "tokens file"
     * @throws BadInputException naming the file, the OS reason or its mode, and the fix
     */
    public static void requirePrivate(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException("cannot read " + what + " " + file + ": "
                    + (Files.exists(file) ? "not a regular file" : "no such file"));
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new BadInputException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
            throw new BadInputException(what + " " + file + " is readable by other users (mode "
                    + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
        }
    }

    /** Whether {@code token} admits {@code deviceId}. */
    public boolean accepts(String deviceId, String token) {
        if (deviceId == null || token == null) {
            return false;
        }
        byte[] expected = shared != null ? shared : perDevice.get(deviceId);
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        if (expected == null) {
            // compare anyway so that an unknown id takes as long as a wrong token
            MessageDigest.isEqual(given, given);
            return false;
        }
        return MessageDigest.isEqual(expected, given);
    }

    /** True for a fleet-wide token. */
    public boolean isShared() {
        return shared != null;
    }
}
