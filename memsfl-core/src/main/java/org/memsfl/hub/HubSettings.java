package org.memsfl.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.memsfl.util.BadInputException;

/**
 * Where the Hub is, where its cache lives, the access token and whether to stay offline: read from an environment
 * map with the meanings huggingface_hub gives them ({@code huggingface_hub/constants.py}).
 *
 * <ul>
 *   <li>{@code HF_ENDPOINT}: the Hub's base URL (default {@code https://huggingface.co}; mirrors and test servers).</li>
 *   <li>{@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}: the cache.</li>
 *   <li>{@code HF_TOKEN}, else the file {@code HF_TOKEN_PATH}, else {@code HF_HOME/token} (where {@code hf auth login}
 *       / {@code huggingface-cli login} writes it): the bearer token, sent only to the endpoint's host.</li>
 *   <li>{@code HF_HUB_OFFLINE} = 1/true/yes/on: no network; the cache alone must hold the files.</li>
 * </ul>
 *
 * @param endpoint  Hub base URL, without a trailing slash
 * @param cacheDir  the hub cache directory (holding {@code models--*} folders)
 * @param token     access token, or null
 * @param tokenFrom where the token came from ({@code HF_TOKEN} or the file), for messages; null without a token
 * @param offline   true to never touch the network
 */
public record HubSettings(URI endpoint, Path cacheDir, String token, String tokenFrom, boolean offline) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE = Set.of("1", "on", "yes", "true");

    public HubSettings {
        if (endpoint == null || !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))
                || endpoint.getHost() == null) {
            throw new BadInputException("HF_ENDPOINT '" + endpoint + "' is not an http(s) URL with a host");
        }
        if (cacheDir == null) {
            throw new IllegalArgumentException("cacheDir must be set");
        }
    }

    /** Settings from the process environment and the user's home directory. */
    public static HubSettings fromEnvironment() {
        return from(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Settings from {@code env} (tests pass a map of their own instead of changing the process environment).
     *
     * @param env  environment variables
     * @param home the user's home directory, the root of the default {@code ~/.cache/huggingface}
     */
    public static HubSettings from(Map<String, String> env, Path home) {
        String ep = value(env, "HF_ENDPOINT");
        URI endpoint;
        try {
            endpoint = URI.create(ep == null ? DEFAULT_ENDPOINT : stripSlash(ep));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("HF_ENDPOINT '" + ep + "' is not a URL: " + e.getMessage());
        }
        String hfHomeEnv = value(env, "HF_HOME");
        Path hfHome = hfHomeEnv != null ? Path.of(hfHomeEnv) : home.resolve(".cache").resolve("huggingface");
        String cacheEnv = value(env, "HF_HUB_CACHE");
        Path cache = cacheEnv != null ? Path.of(cacheEnv) : hfHome.resolve("hub");
        String token = value(env, "HF_TOKEN");
        String from = token != null ? "HF_TOKEN" : null;
        if (token == null) {
            String tp = value(env, "HF_TOKEN_PATH");
            Path file = tp != null ? Path.of(tp) : hfHome.resolve("token");
            token = readToken(file);
            from = token != null ? file.toString() : null;
        }
        String off = value(env, "HF_HUB_OFFLINE");
        boolean offline = off != null && TRUE.contains(off.toLowerCase(Locale.ROOT));
        return new HubSettings(endpoint, cache, token, from, offline);
    }

    /** The same settings with the cache at {@code dir}. */
    public HubSettings withCacheDir(Path dir) {
        return new HubSettings(endpoint, dir, token, tokenFrom, offline);
    }

    /** The same settings, offline or not. */
    public HubSettings withOffline(boolean off) {
        return new HubSettings(endpoint, cacheDir, token, tokenFrom, off);
    }

    private static String readToken(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            String t = Files.readString(file, StandardCharsets.UTF_8).strip();
            return t.isEmpty() ? null : t;
        } catch (IOException e) {
            throw new BadInputException("cannot read the Hugging Face token file " + file + ": " + e.getMessage(), e);
        }
    }

    private static String value(Map<String, String> env, String key) {
        String v = env.get(key);
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public String toString() {
        // never print the token itself
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token=" + (token == null ? "none"
                : "from " + tokenFrom) + ", offline=" + offline + "]";
    }
}
