package org.memsfl.grpc;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.memsfl.fleet.DeviceProfile;

/** An edge server and device clients in this JVM over the in-process transport, for tests. */
final class InProcessFleet implements AutoCloseable {

    final EdgeServer server;
    final String name = InProcessServerBuilder.generateName();
    final Map<String, String> tokens = new LinkedHashMap<>();
    final List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>(); // tests stream it while devices append
    final Consumer<String> logger;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<ManagedChannel> channels = new ArrayList<>();

    InProcessFleet(ServerDeployment s, List<String> deviceIds, String tag) {
        this(s, deviceIds, tag, null);
    }

    /** @param around an interceptor around every call of the server (null: none), to watch or pace its messages */
    InProcessFleet(ServerDeployment s, List<String> deviceIds, String tag, io.grpc.ServerInterceptor around) {
        deviceIds.forEach(id -> tokens.put(id, "token-" + id + "-0123456789"));
        logger = line -> {
            log.add(line);
            System.err.println("[" + tag + "] " + line);
        };
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name);
        if (around != null) {
            builder.intercept(around);
        }
        server = EdgeServer.start(s, DeviceTokens.of(tokens), builder, logger);
    }

    static DeviceProfile profile(String id) {
        return new DeviceProfile(id, 2L << 30, 1e12, 2.5e6, 12.5e6, 0.03);
    }

    ManagedChannel channel() {
        ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
        synchronized (channels) {
            channels.add(ch);
        }
        return ch;
    }

    /** Starts a device client in its own thread. */
    Future<DeviceClient.Report> device(String id, String data, int partition, Path out) {
        DeviceSettings ds = DeviceSettings.of(profile(id), data, partition, out);
        ManagedChannel ch = channel();
        return pool.submit(() -> new DeviceClient(ds, ch, tokens.get(id), logger).run());
    }

    /** A small prompt/response .jsonl (held-out split made by the loader), fast to tokenise. */
    static Path tinyData(Path dir, int n) throws java.io.IOException {
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder();
        String[] animals = {"cat", "dog", "bird", "fish", "frog", "bear"};
        for (int i = 0; i < n; i++) {
            String a = animals[i % animals.length];
            sb.append("{\"prompt\": \"Tell me about the ").append(a).append(" number ").append(i)
                    .append(".\", \"response\": \"Once upon a time a little ").append(a)
                    .append(" went to the park and played all day.\"}\n");
        }
        Path f = dir.resolve("tiny.jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        synchronized (channels) {
            channels.forEach(ManagedChannel::shutdownNow);
        }
        server.close();
    }
}
