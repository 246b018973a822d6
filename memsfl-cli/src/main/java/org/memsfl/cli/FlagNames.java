package org.memsfl.cli;

import org.memsfl.grpc.Setting;

/**
 * The deployment library's settings under the flags a user types: the library's messages ("run the server again
 * with --resume", "--min-devices is 2") name them so when the CLI drives it. An exhaustive switch: a setting the
 * library adds does not compile here until it has a flag.
 */
final class FlagNames {

    private FlagNames() {
    }

    static final Setting.Names FLAGS = FlagNames::flag;

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
