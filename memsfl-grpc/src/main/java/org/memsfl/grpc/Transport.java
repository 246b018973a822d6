package org.memsfl.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.memsfl.util.BadInputException;

/**
 * TLS by default, plaintext only when asked: server credentials from a certificate chain and private key (PEM),
 * channel credentials trusting a CA file (PEM) or the system's roots.
 */
public final class Transport {

    private Transport() {
    }

    /** TLS with {@code certChain} and {@code privateKey} (PKCS#8 PEM), or plaintext when {@code insecure}. */
    public static ServerCredentials serverCredentials(boolean insecure, Path certChain, Path privateKey) {
        if (insecure) {
            return InsecureServerCredentials.create();
        }
        if (certChain == null || privateKey == null) {
            throw new BadInputException("TLS needs a certificate chain and a private key (PEM files), or plaintext chosen"
                    + " explicitly");
        }
        TlsFiles.check(readable(certChain, "certificate chain"), readable(privateKey, "private key"), java.time.Instant.now());
        try {
            return TlsServerCredentials.create(readable(certChain, "certificate chain").toFile(),
                    readable(privateKey, "private key").toFile());
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInputException("cannot use certificate " + certChain + " and key " + privateKey + ": "
                    + e.getMessage(), e);
        }
    }

    /** TLS trusting {@code ca} (null: the system's roots), or plaintext when {@code insecure}. */
    public static ChannelCredentials channelCredentials(boolean insecure, Path ca) {
        if (insecure) {
            return InsecureChannelCredentials.create();
        }
        if (ca == null) {
            return TlsChannelCredentials.create();
        }
        try {
            return TlsChannelCredentials.newBuilder().trustManager(readable(ca, "CA certificate").toFile()).build();
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInputException("cannot use CA file " + ca + ": " + e.getMessage(), e);
        }
    }

    /** A channel to {@code host:port}. */
    public static ManagedChannel channel(String target, ChannelCredentials creds) {
        if (target == null || target.isBlank()) {
            throw new BadInputException("the server address must be HOST:PORT, got '" + target + "'");
        }
        return Grpc.newChannelBuilder(target, creds).build();
    }

    /**
     * What went wrong in the TLS layer under a failed call, or null when TLS is not the cause: an
     * {@link javax.net.ssl.SSLException} anywhere in the cause chain (untrusted certificate, name mismatch, a
     * plaintext server), or a connection the server accepted and then dropped before answering, which is how a TLS
     * server answers a plaintext client. Seen from the client (loopback, 600 tries under load), that drop is
     * "Network closed for unknown reason", "Connection closing while performing protocol negotiation", or a reset
     * while connecting or reading; a plaintext gRPC server never drops a new connection, and one not up yet refuses
     * it.
     */
    public static String tlsFailure(Throwable t) {
        // the outer SSLException of netty's engine is generic ("General OpenSslEngine problem"): prefer the
        // certificate problem underneath it, else the innermost TLS message
        String tls = null;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.security.cert.CertificateException
                    || c instanceof java.security.cert.CertPathValidatorException) {
                return lastClause(c);
            }
            if (c instanceof javax.net.ssl.SSLException) {
                tls = lastClause(c);
            }
        }
        if (tls != null) {
            return tls;
        }
        if (t instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.UNAVAILABLE
                && e.getStatus().getDescription() != null) {
            String d = e.getStatus().getDescription();
            if (d.contains("Network closed for unknown reason")) {
                return "the server closed the connection during the handshake (a TLS server reached in plaintext?)";
            }
            if (d.contains("Connection closing while performing protocol negotiation") || connectionReset(e)) {
                return "the server dropped the connection during the handshake (a TLS server reached in plaintext?)";
            }
        }
        return null;
    }

    /**
     * Whether a failed call's connection was reset by the peer (ECONNRESET, while connecting or reading) or broke on
     * a write (EPIPE): the server accepted the TCP connection and then dropped it.
     */
    static boolean connectionReset(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.io.IOException && c.getMessage() != null
                    && (c.getMessage().contains("Connection reset by peer") || c.getMessage().contains("Broken pipe"))) {
                return true;
            }
        }
        return false;
    }

    /** The JDK's certificate messages nest ("PKIX path building failed: ...: unable to find..."): the last clause. */
    private static String lastClause(Throwable c) {
        String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
        int i = m.lastIndexOf(": ");
        return i > 0 ? m.substring(i + 2) : m;
    }

    private static Path readable(Path p, String what) {
        if (!Files.isRegularFile(p)) {
            throw new BadInputException(what + " " + p + " is not a file");
        }
        return p;
    }
}
