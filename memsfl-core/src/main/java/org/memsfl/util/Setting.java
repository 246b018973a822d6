package org.memsfl.util;

/**
 * The settings that core's bad-input messages tell a user to change ("'out' holds an earlier run; pass 'overwrite'").
 * Core names each by the field that holds it in its own API ({@link #FIELDS}); an application shows the same message
 * with its own names ({@link BadInputException#message(Names)}: the CLI gives its flags), so core never knows how its
 * caller is driven. The deployment library's settings are its own ({@code org.memsfl.grpc.Setting}).
 */
public enum Setting {
    /** The output directory of a run ({@link RunDirs#requireFresh}). */
    OUT("out"),
    /** Starting over in an output directory that holds an earlier run (the caller's decision). */
    OVERWRITE("overwrite"),
    /** How activations and gradients travel ({@code RunSettings.wire()}, {@code split.WireFormat}). */
    WIRE_DTYPE("wire"),
    /** How the simulated devices store their frozen weights ({@code RunSettings.deviceWeights()}). */
    DEVICE_WEIGHTS("deviceWeights"),
    /** The compute dtype of the frozen weights and activations ({@code RunSettings.dtype()}, {@code engine.DType}). */
    DTYPE("dtype"),
    /** The prompt format choice ({@code RunSettings.template()}, {@code chat.TemplateChoice}). */
    TEMPLATE("template"),
    /** A text scored as a whole ({@code data.TextWindows}). */
    TEXT("text");

    private final String field;

    Setting(String field) {
        this.field = field;
    }

    /** How a caller names the settings in the messages it shows its users. */
    @FunctionalInterface
    public interface Names {
        String of(Setting s);
    }

    /** Core's own names: the API field of each setting, quoted ({@code 'out'}). */
    public static final Names FIELDS = s -> "'" + s.field + "'";
}
