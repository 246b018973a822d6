package org.memsfl.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraModules;
import org.memsfl.lora.LoraWeights;
import org.memsfl.util.BadInputException;
import org.memsfl.util.Json;

/**
 * Strict reading of a checkpoint generation: every field must be present with the right type, or a
 * {@link BadInputException} names the file and the field (never a NullPointerException); every tensor must be
 * finite; each device's adapters must match its cut.
 */
final class CheckpointFields {

    /** Totals a resumed server continues from. */
    static final List<String> TOTALS = List.of("bytes_up", "bytes_down", "activation_bytes", "gradient_bytes", "wall_s");

    private final Path file;

    CheckpointFields(Path file) {
        this.file = file;
    }

    private JsonNode need(JsonNode node, String field, String where) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || v.isNull()) {
            throw new BadInputException(file + ": field " + (where == null ? "" : where + ".") + field + " is missing");
        }
        return v;
    }

    private BadInputException wrongType(String field, String where, String expected, JsonNode v) {
        return new BadInputException(file + ": field " + (where == null ? "" : where + ".") + field + " must be "
                + expected + ", got " + v);
    }

    String text(JsonNode node, String field) {
        return text(node, field, null);
    }

    String text(JsonNode node, String field, String where) {
        JsonNode v = need(node, field, where);
        if (!v.isTextual()) {
            throw wrongType(field, where, "a string", v);
        }
        return v.asText();
    }

    int integer(JsonNode node, String field) {
        return integer(node, field, null);
    }

    int integer(JsonNode node, String field, String where) {
        JsonNode v = need(node, field, where);
        if (!v.canConvertToInt()) {
            throw wrongType(field, where, "an integer", v);
        }
        return v.asInt();
    }

    long longValue(JsonNode node, String field, String where) {
        JsonNode v = need(node, field, where);
        if (!v.canConvertToLong()) {
            throw wrongType(field, where, "an integer", v);
        }
        return v.asLong();
    }

    double number(JsonNode node, String field, String where) {
        JsonNode v = need(node, field, where);
        if (!v.isNumber()) {
            throw wrongType(field, where, "a number", v);
        }
        return v.asDouble();
    }

    boolean bool(JsonNode node, String field, String where) {
        JsonNode v = need(node, field, where);
        if (!v.isBoolean()) {
            throw wrongType(field, where, "true or false", v);
        }
        return v.asBoolean();
    }

    JsonNode array(JsonNode node, String field) {
        return array(node, field, null);
    }

    JsonNode array(JsonNode node, String field, String where) {
        JsonNode v = need(node, field, where);
        if (!v.isArray()) {
            throw wrongType(field, where, "an array", v);
        }
        return v;
    }

    JsonNode object(JsonNode node, String field, String where) {
        JsonNode v = need(node, field, where);
        if (!v.isObject()) {
            throw wrongType(field, where, "an object", v);
        }
        return v;
    }

    /** The totals object, with every number a resume needs present. */
    @SuppressWarnings("unchecked")
    Map<String, Object> totals(JsonNode root) {
        JsonNode t = object(root, "totals", null);
        for (String k : TOTALS) {
            number(t, k, "totals");
        }
        array(t, "round_seconds", "totals");
        if (!t.has("last_eval_loss")) {
            throw new BadInputException(file + ": field totals.last_eval_loss is missing");
        }
        return new LinkedHashMap<>(Json.MAPPER.convertValue(t, Map.class));
    }

    /** @throws BadInputException naming the file and the first tensor holding NaN or Inf */
    static void requireFinite(Path file, Map<String, Tensor> tensors) {
        try (NoGradGuard ng = new NoGradGuard(); NativeScope scope = new NativeScope()) {
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = e.getValue();
                if (t.is_floating_point() && !torch.isfinite(t).all().item().toBool()) {
                    String name = e.getKey();
                    String what = name.contains(".opt.") ? "optimizer state" : "adapter";
                    throw new BadInputException(file + ": tensor " + name + " (" + what + ") holds NaN or Inf");
                }
            }
        }
    }

    /**
     * A device with cut {@code c} holds on the server side exactly the global's layer keys {@code >= c}, and starts
     * the next round with exactly its keys {@code < c} (the embedding included), each shaped as the global's.
     */
    static void requireCutShapes(Path file, String id, int cut, AdapterSet global, AdapterSet server, AdapterSet next) {
        global.asMap().forEach((k, g) -> {
            boolean device = LoraModules.layerOf(k) < cut;
            AdapterSet side = device ? next : server;
            LoraWeights w = side.asMap().get(k);
            if (w == null) {
                throw new BadInputException(file + ": device '" + id + "' with cut " + cut + " lacks its "
                        + (device ? "device" : "server") + "-side adapter " + k);
            }
            for (String part : List.of("A", "B")) {
                long[] want = Tensors.shape(part.equals("A") ? g.a() : g.b());
                long[] got = Tensors.shape(part.equals("A") ? w.a() : w.b());
                if (!Arrays.equals(want, got)) {
                    throw new BadInputException(file + ": device '" + id + "' adapter " + k + " " + part + " has shape "
                            + Arrays.toString(got) + ", expected " + Arrays.toString(want));
                }
            }
        });
        for (AdapterSet side : List.of(server, next)) {
            for (String k : side.asMap().keySet()) {
                boolean belongs = side == next ? LoraModules.layerOf(k) < cut : LoraModules.layerOf(k) >= cut;
                if (!global.asMap().containsKey(k) || !belongs) {
                    throw new BadInputException(file + ": device '" + id + "' with cut " + cut + " holds adapter " + k
                            + " on its " + (side == next ? "device" : "server") + " side, where it does not belong");
                }
            }
        }
    }
}
