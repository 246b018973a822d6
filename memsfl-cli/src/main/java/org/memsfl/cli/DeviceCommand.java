package org.memsfl.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.fleet.Units;
import org.memsfl.grpc.DeviceClient;
import org.memsfl.grpc.DeviceSettings;
import org.memsfl.grpc.DeviceTokens;
import org.memsfl.grpc.RunStopped;
import org.memsfl.grpc.ServerWait;
import org.memsfl.grpc.Transport;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** One device of a real deployment: loads only its model segment and its data partition, trains with the server. */
@Command(name = "device", mixinStandardHelpOptions = true, description = "Run one device: register with the edge server, train its layers [0, cut) on its"
        + " own data partition each round, upload its adapters.")
public final class DeviceCommand implements Callable<Integer> {

    /** Refusals that no retry fixes: the user must change something. */
    private static final Set<Status.Code> REFUSALS = Set.of(Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED,
            Status.Code.INVALID_ARGUMENT, Status.Code.FAILED_PRECONDITION, Status.Code.ALREADY_EXISTS,
            Status.Code.RESOURCE_EXHAUSTED, Status.Code.OUT_OF_RANGE);

    @Mixin
    CommonOptions common;

    @Option(names = "--server", required = true, description = "Edge server HOST:PORT.")
    String server;

    @Option(names = "--device-id", required = true, description = "This device's id (as in the server's tokens file).")
    String deviceId;

    /** Environment variable holding the bearer token, the alternative to --token-file. */
    static final String TOKEN_ENV = "MEMSFL_TOKEN";

    @Option(names = "--token", description = "Bearer token on the command line: visible to every user in ps, so prefer"
            + " --token-file or the MEMSFL_TOKEN environment variable.")
    String token;

    @Option(names = "--token-file", description = "File holding the bearer token, readable by its owner only (chmod 600).")
    Path tokenFile;

    @Mixin
    DataOption data; // the dataset on this device: its raw examples never leave it

    @Option(names = "--partition", required = true, description = "Index of this device's data partition, 0..fleet-size-1.")
    int partition;

    @Option(names = "--memory-budget", defaultValue = "2GiB", description = "Memory the device gives to fine-tuning (default: ${DEFAULT-VALUE}).")
    String memoryBudget;

    @Option(names = "--compute", defaultValue = "1TFLOPS", description = "Effective compute speed (default: ${DEFAULT-VALUE}).")
    String compute;

    @Option(names = "--uplink", defaultValue = "20Mbps", description = "Uplink bandwidth (default: ${DEFAULT-VALUE}).")
    String uplink;

    @Option(names = "--downlink", defaultValue = "100Mbps", description = "Downlink bandwidth (default: ${DEFAULT-VALUE}).")
    String downlink;

    @Option(names = "--latency", defaultValue = "30ms", description = "One-way latency (default: ${DEFAULT-VALUE}).")
    String latency;

    @Option(names = "--insecure", description = "Plaintext instead of TLS (only on a trusted network).")
    boolean insecure;

    @Option(names = "--ca", description = "CA certificate (PEM) that signed the server's certificate; default: the system's roots.")
    Path ca;

    @Option(names = "--out", description = "Write metrics.jsonl, summary.json and the final device-side adapter here,"
            + " and device-state/, from which this device started again redoes an interrupted round exactly.")
    Path out;

    @Option(names = "--connect-timeout", defaultValue = "120",
            description = "Seconds to wait for the server to answer before giving up, retrying with backoff (default: ${DEFAULT-VALUE}).")
    long connectTimeoutS;

    @Option(names = "--template", description = "Prompt format (auto, chat, plain, a template name or a .jinja file);"
            + " default: the server's --template. Must render as the server's does, or the device stops before training.")
    String template;

    @Option(names = "--join-timeout-s", defaultValue = "86400", description = "Seconds to wait for a round to open (default: ${DEFAULT-VALUE}).")
    long joinTimeoutS;

    @Override
    public Integer call() throws IOException {
        OperatorChecks.notBoth(token != null, "--token", tokenFile != null, "--token-file", "give the token once");
        OperatorChecks.notBoth(insecure, "--insecure", ca != null, "--ca", "plaintext trusts no CA; drop one of them");
        if (connectTimeoutS <= 0) {
            throw new BadInputException("--connect-timeout must be > 0 seconds, got " + connectTimeoutS);
        }
        String bearer = bearer();
        if (out != null) {
            OperatorChecks.writableDirectory(out, "--out");
        }
        DeviceProfile profile = UserInput.check(() -> new DeviceProfile(deviceId, Units.bytes(memoryBudget),
                Units.flops(compute), Units.bandwidth(uplink), Units.bandwidth(downlink), Units.seconds(latency)));
        DeviceSettings s = UserInput.check(() -> new DeviceSettings(profile, data.data(), partition, out, Duration.ofMinutes(2),
                Duration.ofSeconds(30), Duration.ofSeconds(joinTimeoutS), template));
        ManagedChannel channel = Transport.channel(server, Transport.channelCredentials(insecure, ca));
        try {
            DeviceClient client = new DeviceClient(s, channel, bearer, // reads --data before any network
                    line -> System.err.println("memsfl device " + line), FlagNames.FLAGS);
            reach(channel);
            DeviceClient.Report r = client.run();
            try (var adapters = r.finalAdapters()) {
                if (common.json) {
                    System.out.println(Json.pretty(r.toMap()));
                } else {
                    System.out.printf(Locale.ROOT, "device %s: cut %d, trained rounds %s, last train loss %.4f, %d B up,"
                            + " %d B down, peak RSS %.1f MiB%n", r.deviceId(), r.cut(), r.roundsTrained(),
                            r.lastTrainLoss(), r.bytesUp(), r.bytesDown(), r.peakRssBytes() / 1048576.0);
                }
            }
            return Main.EXIT_OK;
        } catch (RunStopped e) {
            System.err.println("memsfl device: " + e.getMessage());
            return Main.EXIT_STOPPED;
        } catch (StatusRuntimeException e) {
            Status st = e.getStatus();
            System.err.println("memsfl device: " + (REFUSALS.contains(st.getCode()) ? "the server refused: " : "")
                    + st.getCode() + (st.getDescription() == null ? "" : ": " + st.getDescription())
                    + (st.getCode() == Status.Code.UNAVAILABLE ? " (is the server running at " + server
                    + ", and do --insecure / --ca match its TLS setting?)" : ""));
            return REFUSALS.contains(st.getCode()) ? Main.EXIT_BAD_INPUT : Main.EXIT_INTERNAL;
        } finally {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The token from --token (with a warning), --token-file or MEMSFL_TOKEN. */
    private String bearer() throws IOException {
        String b;
        if (token != null) {
            System.err.println("memsfl device: warning: --token is visible to every user of this machine (ps);"
                    + " use --token-file or " + TOKEN_ENV);
            b = token;
        } else if (tokenFile != null) {
            DeviceTokens.requirePrivate(tokenFile, "--token-file");
            b = Files.readString(tokenFile).strip();
        } else {
            b = System.getenv(TOKEN_ENV);
        }
        if (b == null || b.isBlank()) {
            throw new BadInputException("give the device's token with --token-file FILE or the " + TOKEN_ENV
                    + " environment variable" + (tokenFile != null ? " (" + tokenFile + " is empty)" : ""));
        }
        return b.strip();
    }

    /**
     * Waits for the server's health service before registering, saying so on stderr with backoff up to
     * --connect-timeout ({@link ServerWait}), so that a server that is not up ends in one line and exit 2, and a TLS
     * mistake ends the device at once with exit 2 and its cause, never a raw gRPC status and a stack trace.
     */
    private void reach(ManagedChannel channel) {
        try {
            ServerWait.await(channel, server, Duration.ofSeconds(connectTimeoutS),
                    line -> System.err.println("memsfl device: " + line), d -> Thread.sleep(d.toMillis()), FlagNames.FLAGS);
        } catch (StatusRuntimeException e) {
            String tls = Transport.tlsFailure(e);
            if (tls != null) {
                throw new BadInputException("TLS handshake with " + server + " failed: " + tls + " (" + (insecure
                        ? "the server runs TLS: drop --insecure and give its CA with --ca"
                        : "give the CA that signed the server's certificate with --ca, or --insecure if the server"
                        + " runs plaintext") + ")");
            }
            throw e;
        }
    }
}
