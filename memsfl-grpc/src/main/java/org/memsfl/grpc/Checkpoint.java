package org.memsfl.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.SafetensorsReader;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.round.ServerCheckpoint;
import org.memsfl.util.AtomicFiles;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;

/**
 * The edge server's state after a completed round, so that {@code --resume} continues with nothing lost: every
 * device's registration, server-side adapters and AdamW moments and step count, the device-side adapters each device
 * starts the next round with, the global adapters, the running totals and the round's metrics line.
 *
 * <p>Layout under {@code <out>/checkpoint/}: {@code round-<r>.safetensors} (tensors), {@code round-<r>.json} (the
 * rest) and {@code LATEST} (the number of the newest complete round). Each file is written atomically and LATEST
 * last, so a crash at any moment leaves the previous complete checkpoint in force.
 *
 * <p>Random state: after initialisation the only draws are LoRA dropout masks, and each device's server-side masks
 * come from that device's own generator, reseeded when a round opens from (seed, device id, round); the device does
 * the same on its side. The seed (in the settings) and the round number therefore restore every generator exactly;
 * {@code round-<r>.json} also records the scheme under {@code "rng"} so that a reader need not know this.
 */
final class Checkpoint {

    static final String FORMAT = "memsfl-grpc-checkpoint/1";
    static final String DIR = "checkpoint";

    /** What only the edge server knows of a registered device: its registration and its reported memory. */
    record Registration(String id, int partition, String reason, DeviceProfile profile, long peakRss, long rssBefore) {
    }

    /**
     * @param round         the core round's state ({@link org.memsfl.round.SplitServer#checkpoint})
     * @param settings      the settings it was trained with ({@link ServerSettings#toMap()})
     * @param registrations each device's registration, by id
     * @param totals        running totals for summary.json
     * @param metricsLine   the completed round's line of metrics.jsonl
     */
    record State(ServerCheckpoint round, Map<String, Object> settings, Map<String, Registration> registrations,
                 Map<String, Object> totals, Map<String, Object> metricsLine) {

        int completedRound() {
            return round.completedRound();
        }
    }

    private Checkpoint() {
    }

    static void write(Path out, State st) {
        Path dir = out.resolve(DIR);
        int r = st.completedRound();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        st.round().global().toTensorMap().forEach((k, t) -> tensors.put("global." + k, t));
        List<Map<String, Object>> devices = new ArrayList<>();
        for (int i = 0; i < st.round().devices().size(); i++) {
            ServerCheckpoint.Device d = st.round().devices().get(i);
            Registration reg = st.registrations().get(d.id());
            String p = "d" + i + ".";
            d.serverSide().toTensorMap().forEach((k, t) -> tensors.put(p + "server." + k, t));
            d.optimizer().forEach((k, t) -> tensors.put(p + "opt." + k, t));
            d.next().toTensorMap().forEach((k, t) -> tensors.put(p + "next." + k, t));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", d.id());
            m.put("cut", d.cut());
            m.put("partition", reg.partition());
            m.put("reason", reg.reason());
            Map<String, Object> prof = new LinkedHashMap<>();
            prof.put("memory_budget_bytes", reg.profile().memoryBudgetBytes());
            prof.put("flops_per_second", reg.profile().flopsPerSecond());
            prof.put("uplink_bytes_per_second", reg.profile().uplinkBytesPerSecond());
            prof.put("downlink_bytes_per_second", reg.profile().downlinkBytesPerSecond());
            prof.put("latency_seconds", reg.profile().latencySeconds());
            m.put("profile", prof);
            m.put("missed_rounds", d.missedRounds());
            m.put("missed_last", d.missedLast());
            m.put("peak_rss_bytes", reg.peakRss());
            m.put("rss_before_model_bytes", reg.rssBefore());
            m.put("server_optimizer_steps", d.serverSteps());
            devices.add(m);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", FORMAT);
        json.put("completed_round", r);
        json.put("settings", st.settings());
        Map<String, Object> rng = new LinkedHashMap<>();
        rng.put("scheme", "per-device libtorch CPU generators (mt19937), device and server side, reseeded when a round"
                + " opens from (seed, device id, round); LoRA dropout is their only use after initialisation");
        rng.put("seed", st.settings().get("seed"));
        rng.put("next_round", r + 1);
        json.put("rng", rng);
        json.put("devices", devices);
        json.put("totals", st.totals());
        json.put("metrics_line", st.metricsLine());
        SafetensorsWriter.write(dir.resolve("round-" + r + ".safetensors"), tensors, Map.of("format", FORMAT));
        Json.write(dir.resolve("round-" + r + ".json"), json);
        AtomicFiles.writeString(dir.resolve("LATEST"), r + "\n");
        // older rounds are superseded once LATEST points past them
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "round-*")) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                if (!n.startsWith("round-" + r + ".")) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tidy checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The newest complete checkpoint, or a BadInputException naming what is missing or unreadable. */
    static State read(Path out, LoraConfig lora) {
        Path dir = out.resolve(DIR);
        Path latest = dir.resolve("LATEST");
        if (!Files.isRegularFile(latest)) {
            throw new BadInputException("cannot resume: no checkpoint in " + dir + " (LATEST is missing); start a fresh"
                    + " run instead");
        }
        int r;
        JsonNode root;
        try {
            r = Integer.parseInt(Files.readString(latest).strip());
            root = Json.MAPPER.readTree(dir.resolve("round-" + r + ".json").toFile());
        } catch (IOException | NumberFormatException e) {
            throw new BadInputException("cannot resume: cannot read the checkpoint in " + dir + ": " + e.getMessage(), e);
        }
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new BadInputException("cannot resume: " + dir + " holds format '" + root.path("format").asText()
                    + "', expected " + FORMAT);
        }
        Map<String, Tensor> t;
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("round-" + r + ".safetensors"))) {
            t = reader.loadAll();
        }
        try {
            AdapterSet global = AdapterSet.fromTensorMap(lora, prefixed(t, "global."));
            List<ServerCheckpoint.Device> devices = new ArrayList<>();
            Map<String, Registration> registrations = new LinkedHashMap<>();
            int i = 0;
            for (JsonNode d : root.get("devices")) {
                String p = "d" + i++ + ".";
                JsonNode pr = d.get("profile");
                DeviceProfile profile = new DeviceProfile(d.get("id").asText(), pr.get("memory_budget_bytes").asLong(),
                        pr.get("flops_per_second").asDouble(), pr.get("uplink_bytes_per_second").asDouble(),
                        pr.get("downlink_bytes_per_second").asDouble(), pr.get("latency_seconds").asDouble());
                List<Integer> missed = new ArrayList<>();
                d.get("missed_rounds").forEach(n -> missed.add(n.asInt()));
                Map<String, Tensor> opt = new LinkedHashMap<>();
                prefixed(t, p + "opt.").forEach((k, v) -> opt.put(k, v.clone()));
                String id = d.get("id").asText();
                devices.add(new ServerCheckpoint.Device(id, d.get("cut").asInt(), missed,
                        d.get("missed_last").asBoolean(), d.get("server_optimizer_steps").asLong(),
                        AdapterSet.fromTensorMap(lora, prefixed(t, p + "server.")), opt,
                        AdapterSet.fromTensorMap(lora, prefixed(t, p + "next."))));
                registrations.put(id, new Registration(id, d.get("partition").asInt(), d.get("reason").asText(), profile,
                        d.get("peak_rss_bytes").asLong(), d.get("rss_before_model_bytes").asLong()));
            }
            return new State(new ServerCheckpoint(r, devices, global),
                    Json.MAPPER.convertValue(root.get("settings"), Map.class), registrations,
                    Json.MAPPER.convertValue(root.get("totals"), Map.class),
                    Json.MAPPER.convertValue(root.get("metrics_line"), Map.class));
        } finally {
            t.values().forEach(Tensor::close);
        }
    }

    /** Refuses to resume with training settings other than the checkpoint's, or fewer rounds than it completed. */
    static void requireResumable(State c, ServerSettings s) {
        Map<String, Object> now = s.toMap();
        List<String> differ = new ArrayList<>();
        for (String k : ServerSettings.TRAINING_KEYS) {
            if (!java.util.Objects.equals(String.valueOf(now.get(k)), String.valueOf(c.settings().get(k)))) {
                differ.add(k + " (checkpoint " + c.settings().get(k) + ", now " + now.get(k) + ")");
            }
        }
        if (!differ.isEmpty()) {
            throw new BadInputException("cannot resume: the settings differ from the checkpoint's in "
                    + String.join(", ", differ));
        }
        if (c.completedRound() > s.rounds()) {
            throw new BadInputException("cannot resume: the checkpoint is after round " + c.completedRound()
                    + " but the run has " + s.rounds() + " rounds");
        }
    }

    private static Map<String, Tensor> prefixed(Map<String, Tensor> t, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        t.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
