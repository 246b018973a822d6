package org.memsfl.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throw-away PEM files for TLS tests made with the JDK's own {@code keytool} (this module has no Bouncy Castle): a CA,
 * and a server certificate for {@code localhost} / {@code 127.0.0.1} signed by it, with its key in PKCS#8 PEM as
 * {@code memsfl server --key} expects. The same layout as memsfl-grpc's TestCerts and the README's hand deployment.
 */
final class KeytoolCerts {

    /** Paths of the generated files. */
    record Files3(Path ca, Path cert, Path key) {
    }

    private static final String PASS = "memsfl-test-pass";

    private KeytoolCerts() {
    }

    static Files3 generate(Path dir, String caName) throws Exception {
        Files.createDirectories(dir);
        Path caStore = dir.resolve("ca.p12");
        Path serverStore = dir.resolve("server.p12");
        Files3 f = new Files3(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"));
        // the two key pairs side by side, then the server's certificate request piped into the CA's signing; the PEM
        // files of the CA certificate and the server key come from the key stores through the KeyStore API
        await(List.of(
                keytool(dir, "ca-key", "-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
                        "-validity", "2", "-dname", "CN=" + caName, "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign",
                        "-keystore", caStore.toString(), "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS)
                        .start(),
                keytool(dir, "server-key", "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048",
                        "-validity", "2", "-dname", "CN=localhost", "-keystore", serverStore.toString(),
                        "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS).start()), dir);
        ProcessBuilder certreq = keytool(dir, "server-csr", "-certreq", "-alias", "server", "-keystore",
                serverStore.toString(), "-storepass", PASS).redirectOutput(ProcessBuilder.Redirect.PIPE);
        ProcessBuilder gencert = keytool(dir, "server-cert", "-gencert", "-rfc", "-alias", "ca", "-keystore",
                caStore.toString(), "-storepass", PASS, "-outfile", f.cert().toString(), "-validity", "2",
                "-ext", "san=dns:localhost,ip:127.0.0.1", "-ext", "bc=ca:false", "-ext", "eku=serverAuth")
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        await(ProcessBuilder.startPipeline(List.of(certreq, gencert)), dir);
        KeyStore ca = load(caStore);
        writePem(f.ca(), "CERTIFICATE", ca.getCertificate("ca").getEncoded());
        Key key = load(serverStore).getKey("server", PASS.toCharArray());
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalStateException("expected a PKCS#8 key from the key store, got " + key.getFormat());
        }
        writePem(f.key(), "PRIVATE KEY", key.getEncoded());
        return f;
    }

    private static KeyStore load(Path store) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASS.toCharArray());
        }
        return ks;
    }

    private static void writePem(Path p, String type, byte[] der) throws IOException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        Files.writeString(p, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
    }

    /** keytool with {@code args}; what it prints goes to {@code keytool-<name>.log} in {@code dir}. */
    private static ProcessBuilder keytool(Path dir, String name, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        // a short-lived JVM: the C1 compiler alone and the serial collector start it with less CPU
        cmd.add("-J-XX:TieredStopAtLevel=1");
        cmd.add("-J-XX:+UseSerialGC");
        cmd.addAll(List.of(args));
        Path log = dir.resolve("keytool-" + name + ".log");
        ProcessBuilder.Redirect append = ProcessBuilder.Redirect.appendTo(log.toFile());
        return new ProcessBuilder(cmd).redirectError(append).redirectOutput(append);
    }

    private static void await(List<Process> runs, Path dir) throws IOException, InterruptedException {
        try {
            for (Process p : runs) {
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("keytool did not finish in 120 s: " + p.info().commandLine().orElse(""));
                }
                if (p.exitValue() != 0) {
                    StringBuilder logs = new StringBuilder();
                    try (var files = Files.list(dir)) {
                        for (Path f : files.filter(f -> f.getFileName().toString().startsWith("keytool-")).sorted().toList()) {
                            logs.append(f.getFileName()).append(":\n").append(Files.readString(f));
                        }
                    }
                    throw new IllegalStateException("keytool failed with exit code " + p.exitValue() + ":\n" + logs);
                }
            }
        } finally {
            runs.forEach(Process::destroyForcibly);
        }
    }
}
