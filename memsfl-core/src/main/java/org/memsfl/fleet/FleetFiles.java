package org.memsfl.fleet;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.memsfl.util.BadInputException;

/**
 * Reads and writes fleet files (YAML, or JSON when the name ends in {@code .json}):
 * <pre>
 * name: my-fleet            # optional, defaults to the file name
 * server: {compute: 30TFLOPS, memory: 24GiB}
 * devices:
 *   - {id: phone-a, memory: 1GiB, compute: 0.6TFLOPS, uplink: 10Mbps, downlink: 50Mbps, latency: 40ms}
 * </pre>
 * Units are those of {@link Units}. Every problem is a {@link BadInputException} whose one line names the file, the
 * device (by id, or by position when the id itself is missing) and the field, and says what was expected. Unknown
 * keys are errors too, so a misspelt field is not silently ignored.
 */
public final class FleetFiles {

    private static final Set<String> TOP = Set.of("name", "server", "devices");
    private static final Set<String> SERVER = Set.of("compute", "memory");
    private static final List<String> DEVICE = List.of("id", "memory", "compute", "uplink", "downlink", "latency");

    private FleetFiles() {
    }

    public static Fleet read(Path file) {
        String text;
        try {
            text = org.memsfl.util.TextFiles.readString(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException("fleet file " + file + " does not exist");
        } catch (IOException e) {
            throw new BadInputException("fleet file " + file + " cannot be read: " + e.getMessage(), e);
        }
        String stem = file.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "");
        return parse(text, file.toString(), stem, file.toString().toLowerCase(Locale.ROOT).endsWith(".json"));
    }

    /**
     * @param source      names the file in messages
     * @param defaultName the fleet's name when the text has none
     * @param json        parse as JSON rather than YAML
     */
    public static Fleet parse(String text, String source, String defaultName, boolean json) {
        JsonNode root;
        try {
            root = (json ? new ObjectMapper() : new ObjectMapper(new YAMLFactory())).readTree(text);
        } catch (JacksonException e) {
            throw new BadInputException(source + ": not valid " + (json ? "JSON" : "YAML") + ": "
                    + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(source + ": expected a mapping with server and devices");
        }
        unknownKeys(root, TOP, source + ":", "top-level");
        String name = root.has("name") ? text(root.get("name"), source + ": field name") : defaultName;
        JsonNode server = root.get("server");
        if (server == null || !server.isObject()) {
            throw new BadInputException(source + ": field server: missing; expected e.g. server: {compute: 30TFLOPS, memory: 24GiB}");
        }
        unknownKeys(server, SERVER, source + ": server", "server");
        String sw = source + ": server";
        ServerProfile sp = new ServerProfile(quantity(server, "compute", sw, Units::flops, "30TFLOPS", false),
                (long) quantity(server, "memory", sw, s -> (double) Units.bytes(s), "24GiB", false));
        JsonNode devices = root.get("devices");
        if (devices == null || !devices.isArray() || devices.isEmpty()) {
            throw new BadInputException(source + ": field devices: missing or empty; expected a list of devices");
        }
        List<DeviceProfile> list = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < devices.size(); i++) {
            DeviceProfile d = device(devices.get(i), i, source);
            Integer first = seen.putIfAbsent(d.id(), i + 1);
            if (first != null) {
                throw new BadInputException(source + ": device " + d.id() + " field id: duplicate id (devices " + first
                        + " and " + (i + 1) + "); expected unique ids");
            }
            list.add(d);
        }
        return new Fleet(name, list, sp);
    }

    private static DeviceProfile device(JsonNode n, int index, String source) {
        String where = source + ": device #" + (index + 1);
        if (!n.isObject()) {
            throw new BadInputException(where + ": expected a mapping with fields " + DEVICE);
        }
        if (!n.hasNonNull("id")) {
            throw new BadInputException(where + " field id: missing; expected a unique name such as phone-a");
        }
        String id = text(n.get("id"), where + " field id");
        where = source + ": device " + id;
        unknownKeys(n, Set.copyOf(DEVICE), where, "device");
        long memory = (long) quantity(n, "memory", where, s -> (double) Units.bytes(s), "2GiB", false);
        double compute = quantity(n, "compute", where, Units::flops, "1.2TFLOPS", false);
        double up = quantity(n, "uplink", where, Units::bandwidth, "20Mbps", false);
        double down = quantity(n, "downlink", where, Units::bandwidth, "100Mbps", false);
        double latency = quantity(n, "latency", where, Units::seconds, "30ms", true);
        return new DeviceProfile(id, memory, compute, up, down, latency);
    }

    private static double quantity(JsonNode parent, String field, String where, Function<String, Double> parser,
                                   String example, boolean zeroAllowed) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            throw new BadInputException(where + " field " + field + ": missing; expected e.g. " + field + ": " + example);
        }
        if (!v.isTextual() && !v.isNumber()) {
            throw new BadInputException(where + " field " + field + ": expected a quantity such as " + example + ", got "
                    + v.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        String raw = v.isNumber() ? v.decimalValue().toPlainString() : v.asText();
        double value;
        try {
            value = parser.apply(raw);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(where + " field " + field + ": " + e.getMessage());
        }
        if (Double.isInfinite(value) || (zeroAllowed ? !(value >= 0) : !(value > 0))) {
            throw new BadInputException(where + " field " + field + ": must be " + (zeroAllowed ? ">= 0" : "> 0")
                    + ", got '" + raw + "'");
        }
        return value;
    }

    private static String text(JsonNode v, String where) {
        if ((!v.isTextual() && !v.isNumber()) || v.asText().isBlank()) {
            throw new BadInputException(where + ": expected a non-empty name, got '" + v + "'");
        }
        return v.asText();
    }

    private static void unknownKeys(JsonNode n, Set<String> allowed, String where, String what) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new BadInputException(where + " field " + k + ": unknown " + what + " field; expected one of "
                        + (what.equals("device") ? DEVICE : new java.util.TreeSet<>(allowed)));
            }
        }
    }

    /** A fleet file in human units that {@link #parse} reads back to an equal {@link Fleet}. */
    public static String toYaml(Fleet fleet) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("name", fleet.name());
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("compute", Units.formatRate(fleet.server().flopsPerSecond(), Units.COMPUTE));
        server.put("memory", Units.formatBytes(fleet.server().memoryBytes()));
        root.put("server", server);
        List<Object> devices = new ArrayList<>();
        for (DeviceProfile d : fleet.devices()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", d.id());
            m.put("memory", Units.formatBytes(d.memoryBudgetBytes()));
            m.put("compute", Units.formatRate(d.flopsPerSecond(), Units.COMPUTE));
            m.put("uplink", Units.formatRate(d.uplinkBytesPerSecond(), Units.BANDWIDTH));
            m.put("downlink", Units.formatRate(d.downlinkBytesPerSecond(), Units.BANDWIDTH));
            m.put("latency", Units.formatRate(d.latencySeconds(), Units.TIME));
            devices.add(m);
        }
        root.put("devices", devices);
        try {
            return new ObjectMapper(YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build()).writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write fleet " + fleet.name() + " as YAML", e);
        }
    }
}
