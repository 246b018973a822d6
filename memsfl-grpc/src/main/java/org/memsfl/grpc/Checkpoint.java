package org.memsfl.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.bytedeco.pytorch.Tensor;
import org.memsfl.engine.SafetensorsReader;
import org.memsfl.engine.SafetensorsWriter;
import org.memsfl.fleet.DeviceProfile;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.round.ServerCheckpoint;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;

/**
 * The edge server's state after a completed round, so that {@code --resume} continues with nothing lost: every
 * device's registration, server-side adapters and AdamW moments and step count, the device-side adapters each device
 * starts the next round with, the global adapters, the running totals and the round's metrics line.
 *
 * <p>Layout under {@code <out>/checkpoint/}: one generation per round, {@code round-<r>.safetensors} (tensors),
 * {@code round-<r>.json} (the rest) and {@code round-<r>.sha256} (their sums, {@code sha256sum -c} format), and
 * {@code LATEST} (the newest verified round). Each file is written to a temporary file, fsynced, renamed, and its
 * directory fsynced ({@link CheckpointFiles}); a new generation is read back and checked as a resume would check it
 * before LATEST moves to it, and the generation before it is kept, so a crash, a full disk or a damaged file at any
 * moment leaves a verified generation to resume from. On resume a generation is refused (and the previous one
 * tried) when a sum differs, a field is missing, a tensor holds NaN or Inf, or a device's adapters do not match its
 * cut.
 *
 * <p>Random state: after initialisation the only draws are LoRA dropout masks, and each device's server-side masks
 * come from that device's own generator, reseeded when a round opens from (seed, device id, round); the device does
 * the same on its side. The seed (in the settings) and the round number therefore restore every generator exactly;
 * {@code round-<r>.json} also records the scheme under {@code "rng"} so that a reader need not know this.
 */
final class Checkpoint {

    static final String FORMAT = "memsfl-grpc-checkpoint/2";
    static final String DIR = "checkpoint";

    /** What only the edge server knows of a registered device: its registration and its reported memory. */
    record Registration(String id, int partition, String reason, DeviceProfile profile, long peakRss, long rssBefore) {
    }

    /**
     * @param round         the core round's state ({@link org.memsfl.round.SplitServer#checkpoint})
     * @param settings      the settings it was trained with ({@link ServerDeployment#toMap()})
     * @param registrations each device's registration, by id
     * @param totals        running totals for summary.json
     * @param metricsLine   the completed round's line of metrics.jsonl
     */
    record State(ServerCheckpoint round, Map<String, Object> settings, Map<String, Registration> registrations,
                 Map<String, Object> totals, Map<String, Object> metricsLine) implements AutoCloseable {

        int completedRound() {
            return round.completedRound();
        }

        /** Frees every tensor of a state nobody took over (a read made only to verify). */
        @Override
        public void close() {
            closeAll(round.global(), round.devices());
        }
    }

    private static void closeAll(AdapterSet global, List<ServerCheckpoint.Device> devices) {
        if (global != null) {
            global.close();
        }
        for (ServerCheckpoint.Device d : devices) {
            d.serverSide().close();
            d.next().close();
            d.optimizer().values().forEach(Tensor::close);
        }
    }

    private Checkpoint() {
    }

    /**
     * Writes the generation of {@code st.completedRound()}, proves it loads (sums, fields, finiteness, shapes), and
     * only then points LATEST at it and drops generations older than the one it replaces.
     *
     * @throws UncheckedIOException when the storage fails (disk full...): LATEST and the earlier generations are
     *         untouched, and the half-written generation is removed where possible
     */
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
        CheckpointFiles files = new CheckpointFiles(dir);
        try {
            SafetensorsWriter.write(files.tensors(r), tensors, Map.of("format", FORMAT));
            Json.write(files.json(r), json);
            files.writeSums(r);
        } catch (RuntimeException e) {
            files.discard(r);
            throw e;
        }
        // verified as a resume would read it before it replaces anything
        try {
            readGeneration(files, r, st.round().global().config()).close();
        } catch (BadInputException e) {
            files.discard(r);
            throw new UncheckedIOException(new java.io.IOException("checkpoint of round " + r + " did not verify"
                    + " after writing: " + e.getMessage(), e));
        }
        files.commit(r);
    }

    /**
     * The newest generation that verifies: LATEST's first, then older ones, each fallback announced on {@code log}.
     *
     * @throws BadInputException when there is no checkpoint, or no generation verifies (naming the newest's problem)
     */
    static State read(Path out, LoraConfig lora, Consumer<String> log) {
        return read(out, lora, log, Setting.FIELDS);
    }

    /** {@link #read(Path, LoraConfig, Consumer)}, naming {@link Setting#RESUME} in its errors as {@code names} does. */
    static State read(Path out, LoraConfig lora, Consumer<String> log, Setting.Names names) {
        Path dir = out.resolve(DIR);
        CheckpointFiles files = new CheckpointFiles(dir);
        List<Integer> candidates = files.candidates();
        String resume = names.of(Setting.RESUME);
        if (candidates.isEmpty()) {
            throw new BadInputException(resume + ": no checkpoint in " + dir + " (LATEST is missing); run without "
                    + resume + " to start over");
        }
        BadInputException first = null;
        for (int r : candidates) {
            try {
                State st = readGeneration(files, r, lora);
                if (first != null) {
                    log.accept("resuming from the previous checkpoint generation, round " + r);
                }
                return st;
            } catch (BadInputException e) {
                log.accept("checkpoint generation of round " + r + " is unusable: " + e.getMessage());
                if (first == null) {
                    first = e;
                }
            }
        }
        throw new BadInputException(resume + ": no usable checkpoint in " + dir + "; the newest: " + first.getMessage(),
                first);
    }

    /** Reads and checks one generation: sums, format, every field, finite tensors, shapes per device cut. */
    private static State readGeneration(CheckpointFiles files, int r, LoraConfig lora) {
        files.verifySums(r);
        Path jsonFile = files.json(r);
        Path tensorFile = files.tensors(r);
        JsonNode root;
        try (java.io.InputStream in = Files.newInputStream(jsonFile)) {
            root = Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new BadInputException(jsonFile + ": cannot read: " + e.getMessage(), e);
        }
        CheckpointFields f = new CheckpointFields(jsonFile);
        String format = f.text(root, "format");
        if (!FORMAT.equals(format)) {
            throw new BadInputException(jsonFile + " holds format '" + format + "', expected " + FORMAT);
        }
        if (f.integer(root, "completed_round") != r) {
            throw new BadInputException(jsonFile + ": completed_round " + root.get("completed_round")
                    + " differs from its file name's round " + r);
        }
        Map<String, Tensor> t;
        try (SafetensorsReader reader = SafetensorsReader.open(tensorFile)) {
            t = reader.loadAll();
        }
        List<ServerCheckpoint.Device> devices = new ArrayList<>();
        Map<String, Registration> registrations = new LinkedHashMap<>();
        AdapterSet global = null;
        try {
            CheckpointFields.requireFinite(tensorFile, t);
            global = AdapterSet.fromTensorMap(lora, prefixed(t, "global."));
            int i = 0;
            for (JsonNode d : f.array(root, "devices")) {
                String where = "devices[" + i + "]";
                String p = "d" + i++ + ".";
                JsonNode pr = f.object(d, "profile", where);
                String id = f.text(d, "id", where);
                DeviceProfile profile;
                try {
                    profile = new DeviceProfile(id, f.longValue(pr, "memory_budget_bytes", where + ".profile"),
                            f.number(pr, "flops_per_second", where + ".profile"),
                            f.number(pr, "uplink_bytes_per_second", where + ".profile"),
                            f.number(pr, "downlink_bytes_per_second", where + ".profile"),
                            f.number(pr, "latency_seconds", where + ".profile"));
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(jsonFile + ": " + where + ".profile: " + e.getMessage(), e);
                }
                List<Integer> missed = new ArrayList<>();
                f.array(d, "missed_rounds", where).forEach(n -> missed.add(n.asInt()));
                int cut = f.integer(d, "cut", where);
                AdapterSet server = AdapterSet.fromTensorMap(lora, prefixed(t, p + "server."));
                AdapterSet next = AdapterSet.fromTensorMap(lora, prefixed(t, p + "next."));
                Map<String, Tensor> opt = new LinkedHashMap<>();
                prefixed(t, p + "opt.").forEach((k, v) -> opt.put(k, v.clone()));
                // owned by the state from here on, so a later failure frees them with the rest
                devices.add(new ServerCheckpoint.Device(id, cut, missed, f.bool(d, "missed_last", where),
                        f.longValue(d, "server_optimizer_steps", where), server, opt, next));
                registrations.put(id, new Registration(id, f.integer(d, "partition", where), f.text(d, "reason", where),
                        profile, f.longValue(d, "peak_rss_bytes", where), f.longValue(d, "rss_before_model_bytes", where)));
                CheckpointFields.requireCutShapes(tensorFile, id, cut, global, server, next);
            }
            Map<String, Object> totals = f.totals(root);
            return new State(new ServerCheckpoint(r, devices, global),
                    Json.MAPPER.convertValue(f.object(root, "settings", null), Map.class), registrations, totals,
                    Json.MAPPER.convertValue(f.object(root, "metrics_line", null), Map.class));
        } catch (RuntimeException e) {
            closeAll(global, devices);
            throw e;
        } finally {
            t.values().forEach(Tensor::close);
        }
    }

    /** Refuses to resume with training settings other than the checkpoint's, or fewer rounds than it completed. */
    static void requireResumable(State c, ServerDeployment s) {
        Map<String, Object> now = s.toMap();
        List<String> differ = new ArrayList<>();
        for (String k : ServerDeployment.TRAINING_KEYS) {
            if (!sameSetting(k, now.get(k), c.settings().get(k))) {
                differ.add(k + " (checkpoint " + c.settings().get(k) + ", now " + now.get(k) + ")");
            }
        }
        if (!differ.isEmpty()) {
            throw new BadInputException("cannot resume: the settings differ from the checkpoint's in "
                    + String.join(", ", differ));
        }
        if (c.completedRound() > s.run().rounds()) {
            throw new BadInputException("cannot resume: the checkpoint is after round " + c.completedRound()
                    + " but the run has " + s.run().rounds() + " rounds");
        }
    }

    /**
     * Whether a training setting equals the checkpoint's. {@code wire_dtype} is compared as the wire format it names:
     * checkpoints written before the one settings record stored the element type's name (F32, I8), which
     * {@link org.memsfl.split.WireFormat#parse} reads as the {@code --wire-dtype} value now recorded (fp32, int8).
     */
    static boolean sameSetting(String key, Object now, Object checkpoint) {
        if (key.equals("wire_dtype") && now != null && checkpoint != null) {
            try {
                return org.memsfl.split.WireFormat.parse(now.toString())
                        == org.memsfl.split.WireFormat.parse(checkpoint.toString());
            } catch (IllegalArgumentException e) {
                return false; // not a wire format at all: reported as a difference
            }
        }
        return java.util.Objects.equals(String.valueOf(now), String.valueOf(checkpoint));
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
