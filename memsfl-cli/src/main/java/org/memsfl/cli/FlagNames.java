package org.memsfl.cli;

import org.memsfl.grpc.Setting;

/**
 * The deployment library's settings, and core's, under the flags a user types: their messages ("run the server again
 * with --resume", "--min-devices is 2", "--out x holds an earlier run") name them so when the CLI drives them. An exhaustive switch: a setting the
 * library adds does not compile here until it has a flag.
 */
final class FlagNames {

    private FlagNames() {
    }

    static final Setting.Names FLAGS = FlagNames::flag;

    /** Core's settings under the flags a user types ({@link org.memsfl.util.BadInputException#message}). */
    static final org.memsfl.util.Setting.Names CORE_FLAGS = FlagNames::flag;

    /** Core's settings' flags: the same exhaustive switch, for {@code memsfl-core}'s messages. */
    static String flag(org.memsfl.util.Setting s) {
        return switch (s) {
            case OUT -> "--out";
            case OVERWRITE -> "--overwrite";
            case WIRE_DTYPE -> "--wire-dtype";
            case DEVICE_WEIGHTS -> "--device-weights";
            case DTYPE -> "--dtype";
            case TEMPLATE -> "--template";
            case TEXT -> "--text";
        };
    }

    /** A bad-input message as the user reads it: core's settings named by their flags. */
    static String message(org.memsfl.util.BadInputException e) {
        return e.message(CORE_FLAGS);
    }

    static String flag(Setting s) {
        return switch (s) {
            case RESUME -> "--resume";
            case OVERWRITE -> "--overwrite";
            case MIN_DEVICES -> "--min-devices";
            case EVAL_DATA -> "--eval-data";
            case TEMPLATE -> "--template";
            case PLAINTEXT -> "--insecure";
            case CA -> "--ca";
            case CONNECT_TIMEOUT -> "--connect-timeout";
        };
    }
}
