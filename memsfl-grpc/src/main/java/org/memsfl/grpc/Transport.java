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

    private static Path readable(Path p, String what) {
        if (!Files.isRegularFile(p)) {
            throw new BadInputException(what + " " + p + " is not a file");
        }
        return p;
    }
}
