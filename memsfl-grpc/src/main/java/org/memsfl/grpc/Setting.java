package org.memsfl.grpc;

/**
 * The settings of a deployment that this library's messages tell a user to change ("run the server again with
 * resume"). The library names each by the field that holds it in its own API ({@link #FIELDS}); an application
 * gives its own names instead (the CLI gives its flags), so the library never knows how its caller is driven.
 */
public enum Setting {
    /** {@link ServerDeployment#resume()}: continue from the last checkpoint. */
    RESUME("resume"),
    /** Starting over in an output directory that holds an earlier run (the caller's decision, not the library's). */
    OVERWRITE("overwrite"),
    /** {@code RoundGuards.minDevices()}: the quorum of uploads a round needs. */
    MIN_DEVICES("minDevices"),
    /** {@link ServerDeployment#evalData()}: the held-out data the server scores. */
    EVAL_DATA("evalData"),
    /** The run's prompt format choice ({@code RunSettings.template()}, {@link DeviceSettings#template()}). */
    TEMPLATE("template"),
    /** A plaintext channel instead of TLS ({@link Transport#channelCredentials}). */
    PLAINTEXT("insecure"),
    /** The CA certificate a device trusts the server's certificate by ({@link Transport#channelCredentials}). */
    CA("ca"),
    /** How long a device waits for its server to answer ({@link ServerWait#await}). */
    CONNECT_TIMEOUT("connectTimeout");

    private final String field;

    Setting(String field) {
        this.field = field;
    }

    /** How a caller names the settings in the messages it shows its users. */
    @FunctionalInterface
    public interface Names {
        String of(Setting s);
    }

    /** The library's own names: the API field of each setting, quoted ({@code 'resume'}). */
    public static final Names FIELDS = s -> "'" + s.field + "'";
}
