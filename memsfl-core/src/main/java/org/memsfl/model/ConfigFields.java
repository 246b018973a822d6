package org.memsfl.model;

import com.fasterxml.jackson.databind.JsonNode;
import org.memsfl.util.BadInputException;

/** Typed access to config.json fields with one-line errors naming the file and the field. */
final class ConfigFields {
    final JsonNode root;
    /** The file (and, for a nested block, the block's key) errors name. */
    final String where;
    private final String prefix;

    ConfigFields(JsonNode root, String where) {
        this.root = root;
        this.where = where;
        this.prefix = "";
    }

    boolean has(String name) {
        return root.has(name);
    }

    boolean isNullOrAbsent(String name) {
        return !root.has(name) || root.get(name).isNull();
    }

    String requiredText(String name) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            throw missing(name);
        }
        if (!v.isTextual()) {
            throw wrongType(name, v, "a string");
        }
        return v.textValue();
    }

    String optionalText(String name, String dflt) {
        return isNullOrAbsent(name) ? dflt : requiredText(name);
    }

    int requiredInt(String name) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            throw missing(name);
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw wrongType(name, v, "an integer");
        }
        return v.intValue();
    }

    int optionalInt(String name, int dflt) {
        return isNullOrAbsent(name) ? dflt : requiredInt(name);
    }

    double optionalDouble(String name, double dflt) {
        if (isNullOrAbsent(name)) {
            return dflt;
        }
        JsonNode v = root.get(name);
        if (!v.isNumber()) {
            throw wrongType(name, v, "a number");
        }
        return v.doubleValue();
    }

    boolean optionalBool(String name, boolean dflt) {
        if (isNullOrAbsent(name)) {
            return dflt;
        }
        JsonNode v = root.get(name);
        if (!v.isBoolean()) {
            throw wrongType(name, v, "true or false");
        }
        return v.booleanValue();
    }

    void refuseNonNull(String name, String why) {
        if (!isNullOrAbsent(name)) {
            throw new BadInputException(where + ": field " + prefix + name + " = " + root.get(name) + " is not supported ("
                    + why + "); expected null or absent");
        }
    }

    private BadInputException missing(String name) {
        return new BadInputException(where + ": missing required field " + prefix + name);
    }

    private BadInputException wrongType(String name, JsonNode v, String expected) {
        return new BadInputException(where + ": field " + prefix + name + " must be " + expected + ", got " + v);
    }

    JsonNode get(String name) {
        return root.get(name);
    }

    /** A nested object {@code name} with errors naming {@code where: name.field}; null when absent or null. */
    ConfigFields child(String name) {
        if (isNullOrAbsent(name)) {
            return null;
        }
        JsonNode v = root.get(name);
        if (!v.isObject()) {
            throw wrongType(name, v, "an object");
        }
        return new ConfigFields(v, where, name);
    }

    private ConfigFields(JsonNode root, String where, String key) {
        this.root = root;
        this.where = where;
        this.prefix = key + ".";
    }

    double requiredDouble(String name) {
        if (isNullOrAbsent(name)) {
            throw missing(name);
        }
        return optionalDouble(name, 0);
    }

    java.util.List<Double> doubleList(String name) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            throw missing(name);
        }
        if (!v.isArray()) {
            throw wrongType(name, v, "a list of numbers");
        }
        java.util.List<Double> out = new java.util.ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isNumber()) {
                throw wrongType(name, v, "a list of numbers");
            }
            out.add(e.doubleValue());
        }
        return out;
    }

    /** Field names present (for refusing unknown keys of a block). */
    java.util.List<String> names() {
        java.util.List<String> out = new java.util.ArrayList<>();
        root.fieldNames().forEachRemaining(out::add);
        return out;
    }

    BadInputException refuse(String name, String why) {
        return new BadInputException(where + ": " + prefix + name + " = " + root.get(name) + " is not supported (" + why
                + ")");
    }
}
