package org.memsfl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import org.memsfl.round.RoundGuards;
import org.memsfl.grpc.DeviceTokens;
import org.memsfl.grpc.EdgeServer;
import org.memsfl.grpc.RunStopped;
import org.memsfl.grpc.ServerDeployment;
import org.memsfl.grpc.Transport;
import org.memsfl.settings.Defaults;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The edge server of a real deployment (DESIGN.md section 7): one frozen model, many `memsfl device` processes. */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Run the edge server: wait for --fleet-size devices, train --rounds rounds of"
        + " memsfl over gRPC, write metrics.jsonl, summary.json, manifest.json and adapter/ into --out.")
public final class ServerCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--port", defaultValue = "50051", description = "TCP port (0: any free port) (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--fleet-size", required = true, description = "Devices that must register before round 1.")
    int fleetSize;

    @Mixin
    RunOptions run;

    @Option(names = "--server-compute", defaultValue = Defaults.SERVER_COMPUTE, description = "This server's effective compute, which"
            + " the scheduler predicts server times with (default: ${DEFAULT-VALUE}).")
    String serverCompute;

    @Option(names = "--cut", defaultValue = "0", description = "Force this cut on every device (0: plan from each device's memory budget) (default: ${DEFAULT-VALUE}).")
    int cut;

    @Option(names = "--eval-data", description = "Score the global adapters on this dataset's held-out split after each round"
            + " (e.g. dolly); with --generate also by generation, each device on the held-out prompts of its own partition"
            + " (give the devices' --data).")
    String evalData;

    @Option(names = "--max-chunk-bytes", defaultValue = Defaults.MAX_CHUNK_BYTES, description = "Largest tensor chunk on the wire (default: ${DEFAULT-VALUE}).")
    int maxChunkBytes;

    @Option(names = "--step-timeout-s", defaultValue = Defaults.STEP_TIMEOUT_S, description = "How long a device waits for one gradient (default: ${DEFAULT-VALUE}).")
    long stepTimeoutS;

    @Option(names = "--round-timeout-s", defaultValue = Defaults.ROUND_TIMEOUT_S,
            description = "Seconds after a round opens until devices that have not uploaded are left out (default: ${DEFAULT-VALUE}).")
    long roundTimeoutS;

    @Option(names = "--min-devices", defaultValue = Defaults.MIN_DEVICES, description = "Quorum: a round with fewer uploads is not"
            + " aggregated (rolled back) and the server stops with exit 4; --resume continues (default: ${DEFAULT-VALUE}).")
    int minDevices;

    @Option(names = "--max-num-examples", defaultValue = Defaults.MAX_NUM_EXAMPLES, description = "The largest num_examples (FedAvg"
            + " weight) one device may claim; an upload claiming more is refused (default: ${DEFAULT-VALUE}).")
    long maxNumExamples;

    @Option(names = "--max-update-norm", defaultValue = Defaults.MAX_UPDATE_NORM, description = "Bound on the L2 norm of a device's"
            + " update in one round: auto (the most an honest device's AdamW can move in --local-steps steps at --lr),"
            + " 0 (off) or a number. An update above it is refused, or clipped with --clip-updates (default: ${DEFAULT-VALUE}).")
    String maxUpdateNorm;

    @Option(names = "--clip-updates", description = "Scale an update above --max-update-norm down onto the bound instead"
            + " of refusing it.")
    boolean clipUpdates;

    @Option(names = "--max-loss-ratio", defaultValue = Defaults.MAX_LOSS_RATIO, description = "Health gate: with --eval-data, a round whose"
            + " held-out loss is not finite or above this times the last good round's is rolled back (0: finiteness"
            + " only) (default: ${DEFAULT-VALUE}).")
    double maxLossRatio;

    @Option(names = "--storage-retry-s", defaultValue = Defaults.STORAGE_RETRY_S, description = "How long a failing checkpoint write is"
            + " retried (health NOT_SERVING meanwhile) before the server stops with exit 4 (default: ${DEFAULT-VALUE}).")
    long storageRetryS;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--insecure", description = "Plaintext instead of TLS (only on a trusted network).")
    boolean insecure;

    @Option(names = "--cert", description = "TLS certificate chain (PEM).")
    Path cert;

    @Option(names = "--key", description = "TLS private key (PKCS#8 PEM).")
    Path key;

    @Option(names = "--tokens", description = "Per-device tokens: lines '<device-id> <token>', a file only its owner may"
            + " read (chmod 600). Without it the server makes one fleet token and writes it to <out>/fleet-token (mode"
            + " 600), never to the terminal.")
    Path tokens;

    @Option(names = "--resume", description = "Continue from the last checkpoint in --out (written after every round)"
            + " instead of starting over; the training settings must match the checkpoint's.")
    boolean resume;

    @picocli.CommandLine.Mixin
    GenerationOptions generation;

    @Option(names = "--overwrite", description = "Start over in an --out that holds an earlier run's results (without"
            + " --resume), replacing them.")
    boolean overwrite;

    @Option(names = "--finish-grace-s", defaultValue = "30",
            description = "After the last round, seconds to wait for devices to fetch their final adapters (default: ${DEFAULT-VALUE}).")
    long graceS;

    @Override
    public Integer call() throws Exception {
        // operator mistakes first: each is one line and exit 2 before the model loads
        OperatorChecks.notBoth(insecure, "--insecure", cert != null || key != null, "--cert/--key",
                "plaintext needs no certificate; drop one of them");
        if (stepTimeoutS >= roundTimeoutS) {
            throw new BadInputException("--step-timeout-s " + stepTimeoutS + " must be below --round-timeout-s "
                    + roundTimeoutS + ": a device waiting one step would outlive its round");
        }
        if (generation.generate && evalData == null) {
            throw new BadInputException("--generate needs held-out prompts: give --eval-data");
        }
        if (!resume) {
            org.memsfl.util.RunDirs.requireFresh(out, overwrite);
        }
        // the run's settings as simulate builds them, then this process's own
        ServerDeployment s = UserInput.check(() -> ServerDeployment.builder(run.builder(common.seed).build())
                .fleetSize(fleetSize).out(out).serverFlops(org.memsfl.fleet.Units.flops(serverCompute)).cut(cut)
                .evalData(evalData).maxChunkBytes(maxChunkBytes).stepTimeout(Duration.ofSeconds(stepTimeoutS))
                .roundTimeout(Duration.ofSeconds(roundTimeoutS)).resume(resume).minDevices(minDevices)
                .maxNumExamples(maxNumExamples).maxUpdateNorm(updateNorm(maxUpdateNorm)).clipUpdates(clipUpdates)
                .maxLossRatio(maxLossRatio).storageRetry(Duration.ofSeconds(storageRetryS))
                .generation(generation.plan(common.seed)).build());
        org.memsfl.data.Partitioner.of(s.run().partition()); // a typo fails here, not after every device has registered
        // LoRA targets under the model's own names, as every command checks them, before the token file is written
        s.run().lora().forModel(org.memsfl.model.ModelResolver.resolveConfig(s.run().model()));
        var creds = Transport.serverCredentials(insecure, cert, key);
        OperatorChecks.writableDirectory(out, "--out");
        OperatorChecks.portFree(port);
        DeviceTokens auth = tokens != null ? DeviceTokens.read(tokens) : fleetToken();

        System.err.printf(Locale.ROOT, "memsfl server: loading %s, %d rounds x %d local steps, fleet of %d%n",
                s.run().model(), s.run().rounds(), s.run().localSteps(), fleetSize);
        try (EdgeServer server = EdgeServer.start(s, auth, creds, port, line -> System.err.println("memsfl server: " + line),
                FlagNames.FLAGS)) {
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "memsfl-server-shutdown"));
            System.err.printf(Locale.ROOT, "memsfl server: listening on port %d (%s, %s), waiting for %d devices%n",
                    server.port(), insecure ? "PLAINTEXT" : "TLS", tokens != null ? "per-device tokens" : "fleet token",
                    fleetSize);
            Map<String, Object> summary;
            try {
                summary = server.awaitFinished(Duration.ofDays(3650), Duration.ofSeconds(graceS));
            } catch (TimeoutException e) {
                throw new IllegalStateException("training did not finish", e);
            } catch (RunStopped e) {
                System.err.println("memsfl server: training stopped: " + e.getMessage());
                return Main.EXIT_STOPPED;
            }
            if (common.json) {
                System.out.println(Json.pretty(summary));
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) ((Map<String, Object>) summary.get("methods")).get("memsfl");
                System.out.printf(Locale.ROOT, "memsfl over gRPC: %d rounds, final eval loss %s, %.1f s wall, %d B up,"
                        + " %d B down, server peak RSS %.1f MiB%nwrote %s (adapter/, metrics.jsonl, summary.json,"
                        + " manifest.json)%n", s.run().rounds(), m.get("final_eval_loss") == null ? "-" : m.get("final_eval_loss"),
                        ((Number) m.get("wall_s")).doubleValue(), ((Number) m.get("bytes_up")).longValue(),
                        ((Number) m.get("bytes_down")).longValue(),
                        ((Number) m.get("server_peak_bytes")).longValue() / 1048576.0, out);
            }
        }
        return Main.EXIT_OK;
    }

    /** {@code --max-update-norm}: auto, 0 (off) or a finite number > 0. */
    static double updateNorm(String v) {
        if (v.strip().equalsIgnoreCase("auto")) {
            return RoundGuards.AUTO;
        }
        try {
            double d = Double.parseDouble(v.strip());
            if (d >= 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadInputException("--max-update-norm must be auto, 0 (off) or a finite number > 0, got '" + v + "'");
    }

    /** One token for the whole fleet, kept owner-readable beside the results; never printed. */
    private DeviceTokens fleetToken() throws IOException {
        Path f = out.resolve("fleet-token");
        if (resume && Files.isRegularFile(f)) {
            // the devices still hold the token of the run being resumed
            System.err.println("memsfl server: reusing the fleet token in " + f);
            return DeviceTokens.shared(Files.readString(f).strip());
        }
        String token = DeviceTokens.generate();
        Files.createDirectories(out);
        Path tmp = f.resolveSibling("fleet-token.tmp");
        Files.deleteIfExists(tmp);
        try {
            // created owner-only, so the token is never readable by others even for an instant
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // not a POSIX file system
        }
        Files.writeString(tmp, token + "\n");
        Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.err.println("memsfl server: no --tokens given; the fleet token is in " + f + " (owner-readable only);"
                + " give it to each device with --token-file");
        return DeviceTokens.shared(token);
    }
}
