package org.memsfl.fleet;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.memsfl.util.BadInputException;

/**
 * Where fleets come from: built-in presets (YAML resources under {@code fleets/}, copyable starting points whose
 * numbers are representative assumptions documented in the files, not measurements), fleet files, and seeded random
 * fleets for scheduler studies.
 */
public final class Fleets {

    /** Built-in presets, each a resource {@code fleets/<name>.yaml}. */
    public static final List<String> PRESETS = List.of("paper-5", "mixed-20", "paper-5-busy-server");

    /** The server every random fleet gets: an edge GPU with 24 GiB, as in the presets. */
    static final ServerProfile RANDOM_SERVER = new ServerProfile(30e12, 24L << 30);

    private Fleets() {
    }

    /** A preset name or the path of a YAML/JSON fleet file. */
    public static Fleet resolve(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new BadInputException("fleet: expected a preset name " + PRESETS + " or a YAML/JSON file path");
        }
        if (PRESETS.contains(spec)) {
            return preset(spec);
        }
        Path p = Path.of(spec);
        if (!Files.isRegularFile(p)) {
            throw new BadInputException("fleet '" + spec + "' is neither a preset " + PRESETS + " nor an existing file");
        }
        return FleetFiles.read(p);
    }

    public static Fleet preset(String name) {
        if (!PRESETS.contains(name)) {
            throw new BadInputException("unknown fleet preset '" + name + "'; known: " + PRESETS);
        }
        return FleetFiles.parse(presetText(name), "preset " + name, name, false);
    }

    /** The YAML text of a preset, for users who want to copy and edit it. */
    public static String presetText(String name) {
        String resource = "/fleets/" + name + ".yaml";
        try (InputStream in = Fleets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("fleet preset resource " + resource + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read fleet preset resource " + resource, e);
        }
    }

    /**
     * A heterogeneous fleet of {@code n} devices for scheduler studies; the same seed gives the same fleet. Ranges are
     * wide on purpose (a 30x spread in memory, 40x in compute, 100x in uplink): memory budget log-uniform in
     * [256 MiB, 8 GiB], compute log-uniform in [0.1, 4] TFLOPS, uplink log-uniform in [1, 100] Mbps,
     * downlink 2-8 times the uplink (mobile links are asymmetric), latency uniform in [5, 100] ms; values are rounded
     * to MiB, 10 GFLOPS, 0.1 Mbps and 1 ms. Server as
     * {@link #RANDOM_SERVER}.
     */
    public static Fleet random(int n, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("random fleet size must be >= 1, got " + n);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        List<DeviceProfile> devices = new ArrayList<>(n);
        int width = String.valueOf(n - 1).length();
        for (int i = 0; i < n; i++) {
            // rounded (MiB, 10 GFLOPS, 0.1 Mbps, 1 ms) so that a written-out fleet file reads well
            long memory = Math.round(logUniform(rng, 256, 8192)) << 20;
            double compute = Math.round(logUniform(rng, 10, 400)) * 1e10;
            long upTenthsMbps = Math.round(logUniform(rng, 10, 1000));
            long downTenthsMbps = Math.round(upTenthsMbps * (2 + 6 * rng.nextDouble()));
            double latency = Math.round(5 + 95 * rng.nextDouble()) / 1000.0;
            double up = upTenthsMbps * 1e5 / 8;
            double down = downTenthsMbps * 1e5 / 8;
            devices.add(new DeviceProfile(String.format("dev-%0" + width + "d", i), memory, compute, up, down, latency));
        }
        return new Fleet("random-" + n + "-seed" + seed, devices, RANDOM_SERVER);
    }

    private static double logUniform(SplittableRandom rng, double lo, double hi) {
        return Math.exp(Math.log(lo) + rng.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }
}
